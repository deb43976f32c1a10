import { QueryTypes } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import type { Citations } from '../models/index.js'

/** One message of a page, in the API's shape. */
export interface MessageRow {
  id: string
  role: string
  content: string
  citations: Citations | null
  domains: string[] | null
  feedbackScore: number | null
  /** ISO 8601 with microseconds: PostgreSQL's precision, so it can be the next page's cursor. */
  createdAt: string
}

// The hot path, hand-written: no model instances, one round trip, and the filter + order match
// idx_messages_conversation (conversation_id, created_at) so PostgreSQL walks the index backwards
// and stops after LIMIT rows. created_at is formatted in SQL because a JS Date keeps only
// milliseconds, and a cursor rounded down would skip messages.
const PAGE_SQL = `
  SELECT id, role, content, citations, domains, feedback_score AS "feedbackScore",
         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "createdAt"
    FROM messages
   WHERE conversation_id = $1 AND ($2::timestamptz IS NULL OR created_at < $2::timestamptz)
   ORDER BY created_at DESC
   LIMIT $3`

/**
 * Messages of a conversation, newest first, created before `before` (exclusive) when given.
 * Messages created in the same microsecond (one transaction) share a cursor; a page boundary
 * between them would skip the rest, which the API accepts for chat messages.
 */
export async function messagePage (sequelize: Sequelize, conversationId: string, limit: number, before: string | undefined): Promise<MessageRow[]> {
  return await sequelize.query<MessageRow>(PAGE_SQL, { bind: [conversationId, before ?? null, limit], type: QueryTypes.SELECT })
}
