import pg from 'pg'
import Fastify from 'fastify'
import dbPlugin from '../lib/index.js'
import { generateDataset } from './dataset.js'
import { median, timeRuns, type Figure } from './stats.js'

const LAST_50 = 'SELECT * FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC LIMIT 50'

/**
 * A million messages over ten thousand conversations: the index plan and time of "last 50", a
 * cascade delete of a user with 10,000 messages, and the bulkCreate insert rate.
 */
export async function benchScale (url: string): Promise<Figure[]> {
  const started = performance.now()
  await generateDataset(url, { users: 1_000, conversations: 10_000, messages: 1_000_000 })
  const heavyUser = await addHeavyUser(url, 100, 100)
  const generatedIn = performance.now() - started

  const app = Fastify()
  await app.register(dbPlugin, { connectionString: url })
  await app.ready()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows: [conversation] } = await client.query('SELECT id FROM conversations ORDER BY id OFFSET 5000 LIMIT 1')
    const plan = (await client.query(`EXPLAIN ${LAST_50.replace('$1', `'${conversation.id as string}'`)}`)).rows.map(r => r['QUERY PLAN'] as string).join('\n')
    const usesIndex = /Index Scan (Backward )?using idx_messages_conversation on messages/.test(plan)

    const { Message, User } = app.db.models
    const viaModels = median(await timeRuns(200, async () => { await Message.recent(conversation.id as string) }, 20))
    const viaPg = median(await timeRuns(200, async () => { await client.query(LAST_50, [conversation.id]) }, 20))

    const cascadeStarted = performance.now()
    await User.destroy({ where: { id: heavyUser } })
    const cascadeMs = performance.now() - cascadeStarted

    const rate = await bulkCreateRate(app.db.models.Message, conversation.id as string)
    const pgRate = await pgInsertRate(client, conversation.id as string)

    return [
      { section: 'scale', name: 'generate 1,000,000 messages (SQL)', value: generatedIn / 1000, unit: 's' },
      { section: 'scale', name: `last 50: EXPLAIN uses idx_messages_conversation`, value: usesIndex ? 1 : 0, unit: usesIndex ? '(yes)' : '(NO)', target: 'index scan', met: usesIndex },
      { section: 'scale', name: 'last 50 of 1M (Message.recent)', value: viaModels, unit: 'ms', baseline: { name: 'raw pg', value: viaPg }, ratio: viaModels / viaPg, target: '≤ 2 ms', met: viaModels <= 2 },
      { section: 'scale', name: 'cascade delete: user with 10,000 messages', value: cascadeMs, unit: 'ms' },
      { section: 'scale', name: 'bulkCreate (1,000 per call)', value: rate, unit: 'rows/s', baseline: { name: 'pg multi-row INSERT', value: pgRate }, ratio: rate / pgRate }
    ]
  } finally {
    await client.end()
    await app.close()
  }
}

// A user whose conversations hold conversations × perConversation messages.
async function addHeavyUser (url: string, conversations: number, perConversation: number): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows: [user] } = await client.query("INSERT INTO users (email, name, role) VALUES ('heavy@bench.example', 'Heavy', 'coach') RETURNING id")
    await client.query(`INSERT INTO conversations (user_id, title) SELECT $1, 'Heavy ' || g FROM generate_series(1, $2) AS g`, [user.id, conversations])
    await client.query(`INSERT INTO messages (conversation_id, role, content)
      SELECT c.id, 'user', 'heavy message ' || g FROM conversations c CROSS JOIN generate_series(1, $2::int) AS g WHERE c.user_id = $1`, [user.id, perConversation])
    return user.id as string
  } finally {
    await client.end()
  }
}

const BATCH = 1_000
const BATCHES = 10

function batch (conversationId: string): Array<{ conversationId: string, role: 'user', content: string, inputTokens: number }> {
  return Array.from({ length: BATCH }, (_, i) => ({ conversationId, role: 'user', content: `bulk ${i}`, inputTokens: i }))
}

async function bulkCreateRate (Message: { bulkCreate: (rows: ReturnType<typeof batch>) => Promise<unknown> }, conversationId: string): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < BATCHES; i++) await Message.bulkCreate(batch(conversationId))
  return (BATCH * BATCHES) / ((performance.now() - started) / 1000)
}

async function pgInsertRate (client: pg.Client, conversationId: string): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < BATCHES; i++) {
    const rows = batch(conversationId)
    const values = rows.map((_, j) => `($${j * 4 + 1}, $${j * 4 + 2}, $${j * 4 + 3}, $${j * 4 + 4})`).join(', ')
    await client.query(`INSERT INTO messages (conversation_id, role, content, input_tokens) VALUES ${values}`, rows.flatMap(r => [r.conversationId, r.role, r.content, r.inputTokens]))
  }
  return (BATCH * BATCHES) / ((performance.now() - started) / 1000)
}
