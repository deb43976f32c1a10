import { QueryTypes } from 'sequelize'
import type { CoachDb } from '../lib/index.js'
import { loadFixtures } from '../lib/testing/index.js'

/** Ids worth pasting into curl: a user with conversations, one of them shared. */
export interface DemoIds {
  userId: string
  conversationId: string
  shareToken: string | null
}

/**
 * Loads the project's fixtures (fixtures/*.ts: users, sessions, conversations, messages) into an
 * empty database, so a first `npm start` has something to show. A database that already holds
 * users is left alone: this never overwrites anyone's data. Returns whether it loaded.
 */
export async function loadDemoDataIfEmpty (db: CoachDb): Promise<boolean> {
  if (await db.models.User.count() > 0) return false
  await loadFixtures(db)
  return true
}

/** A user, one of their conversations (a shared one when there is) and its token, for the start banner. */
export async function demoIds (db: CoachDb): Promise<DemoIds | undefined> {
  const rows = await db.sequelize.query<{ userId: string, conversationId: string, shareToken: string | null }>(`
    SELECT c.user_id AS "userId", c.id AS "conversationId", CASE WHEN c.share_enabled THEN c.share_token END AS "shareToken"
      FROM conversations c
     ORDER BY c.share_enabled DESC, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) DESC, c.id
     LIMIT 1`, { type: QueryTypes.SELECT })
  return rows[0]
}
