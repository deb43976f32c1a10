import { fileTest } from './helpers/file-test.js'
import { buildExampleApp } from '../example/app.js'
import { freshDatabase } from './helpers/app.js'

const t = fileTest()

// Paging through a conversation whose messages share timestamps (bulkCreate, a message and its
// reply in one millisecond, rows written in one transaction by SQL) must return each message
// exactly once, in (created_at, id) order, through the model and through the example's route.
const database = await freshDatabase(t)
const app = await buildExampleApp({ connectionString: database.url })
t.teardown(() => app.close())
const { User, Conversation, Message } = app.db.models
const { sequelize } = app.db

const user = await User.create({ email: 'pager@example.com', name: 'Pager', role: 'coach' })
const conversation = await Conversation.create({ userId: user.id, title: 'Same instant' })
// 100 messages in one microsecond (one INSERT: now() is the statement's transaction start) …
await sequelize.query(`INSERT INTO messages (conversation_id, role, content, created_at)
  SELECT $1, 'user', 'm' || g, timestamptz '2026-01-01 00:00:00.123456+00' FROM generate_series(1, 100) AS g`, { bind: [conversation.id] })
// … 20 in one JavaScript millisecond, and 20 that differ only in microseconds.
const sameMs = new Date('2026-01-01T00:00:01.000Z')
await Message.bulkCreate(Array.from({ length: 20 }, (_, i) => ({ conversationId: conversation.id, role: 'assistant' as const, content: `b${i}`, createdAt: sameMs })))
await sequelize.query(`INSERT INTO messages (conversation_id, role, content, created_at)
  SELECT $1, 'user', 'u' || g, timestamptz '2026-01-01 00:00:02.000000+00' + g * interval '1 microsecond' FROM generate_series(1, 20) AS g`, { bind: [conversation.id] })

const expected = (await sequelize.query<{ id: string }>('SELECT id FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC', { bind: [conversation.id], type: 'SELECT' as never }) as Array<{ id: string }>).map(r => r.id)

t.equal(expected.length, 140)

t.test('Message.recent at limit=1 returns every message exactly once, newest first', async t => {
  const seen: string[] = []
  let cursor: string | undefined
  for (let page = 0; page < 200; page++) {
    const result = await Message.recent(conversation.id, { limit: 1, ...(cursor !== undefined ? { cursor } : {}) }) as unknown as { messages: Array<{ id: string }>, nextCursor: string | null }
    seen.push(...result.messages.map(m => m.id))
    if (result.nextCursor === null) break
    cursor = result.nextCursor
  }
  t.equal(seen.length, expected.length, 'as many as there are')
  t.equal(new Set(seen).size, seen.length, 'none twice')
  t.same(seen, expected, 'in (created_at, id) order, newest first')
})

t.test('Message.recent at other page sizes adds up to the same list', async t => {
  for (const limit of [7, 50, 140, 500]) {
    const seen: string[] = []
    let cursor: string | undefined
    for (let page = 0; page < 200; page++) {
      const result = await Message.recent(conversation.id, { limit, ...(cursor !== undefined ? { cursor } : {}) })
      seen.push(...result.messages.map(m => m.id))
      if (result.nextCursor === null) break
      cursor = result.nextCursor
    }
    t.same(seen, expected, `limit ${limit}`)
  }
})

t.test('a cursor not issued by the API is a validation error naming cursor', async t => {
  for (const cursor of ['2026-01-01T00:00:00Z', 'bm90IGEgY3Vyc29y', '', 'a'.repeat(500), Buffer.from('2026-01-01T00:00:00.000000|not-a-uuid').toString('base64url')]) {
    await t.rejects(Message.recent(conversation.id, { cursor }), { name: 'SequelizeValidationError', errors: [{ path: 'cursor' }] }, JSON.stringify(cursor).slice(0, 40))
  }
})

t.test('GET /conversations/:id/messages at limit=1 returns every message exactly once', async t => {
  const seen: string[] = []
  let cursor: string | null = null
  for (let page = 0; page < 200; page++) {
    const res: { statusCode: number, json: () => any } = await app.inject({ method: 'GET', url: `/conversations/${conversation.id}/messages?limit=1${cursor !== null ? `&cursor=${encodeURIComponent(cursor)}` : ''}` })
    t.equal(res.statusCode, 200)
    const body: { messages: Array<{ id: string }>, nextCursor: string | null } = res.json()
    seen.push(...body.messages.map((m: { id: string }) => m.id))
    cursor = body.nextCursor
    if (cursor === null || cursor === undefined) break
  }
  t.same(seen, expected, 'each once, newest first')
  t.equal(seen.length, 140)
})

t.test('a forged cursor is a 400, never a 500', async t => {
  for (const cursor of ['yesterday', Buffer.from('2026-13-45T99:00:00.000000|00000000-0000-4000-8000-000000000000').toString('base64url'), 'x'.repeat(200)]) {
    const res = await app.inject({ method: 'GET', url: `/conversations/${conversation.id}/messages?cursor=${cursor}` })
    t.equal(res.statusCode, 400, cursor.slice(0, 30))
    t.match(res.json(), { code: 'BAD_REQUEST', message: /cursor/ })
  }
})

t.test('the page queries stay on idx_messages_conversation', async t => {
  const { RECENT_FIRST_SQL, RECENT_AFTER_SQL } = await import('../models/recent-messages.js')
  // A small table would be scanned whole; bench/paging.ts shows the same plan at 1 M rows without this.
  await sequelize.query('ANALYZE messages')
  const plans = await sequelize.transaction(async transaction => {
    await sequelize.query('SET LOCAL enable_seqscan = off', { transaction })
    const first = await sequelize.query(`EXPLAIN ${RECENT_FIRST_SQL}`, { bind: [conversation.id, 21], transaction })
    const after = await sequelize.query(`EXPLAIN ${RECENT_AFTER_SQL}`, { bind: [conversation.id, 21, '2026-01-01T00:00:00.123456Z', expected[50]], transaction })
    return [JSON.stringify(first[0]), JSON.stringify(after[0])]
  })
  for (const plan of plans) {
    t.match(plan, /Index Scan Backward using idx_messages_conversation/)
    t.notMatch(plan, /Seq Scan|Bitmap/)
  }
})
