import { fileTest } from './helpers/file-test.js'
import { buildExampleApp } from '../example/app.js'
import { loadFixtures } from '../lib/fixtures/index.js'
import { freshDatabase } from './helpers/app.js'

const t = fileTest()

// The example service against real PostgreSQL: a fresh migrated database for this file, the
// project's fixtures, and requests through app.inject. Assertions are what a client sees.
const database = await freshDatabase(t)
const app = await buildExampleApp({ connectionString: database.url })
t.teardown(() => app.close())
const f = await loadFixtures(app.db)
const UNKNOWN = '00000000-0000-4000-8000-000000000000'
// The one timestamp format of every route (Date.prototype.toISOString).
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

async function get (url: string): Promise<{ status: number, body: any }> {
  const res = await app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.json() }
}

t.test('GET /health: ready, with migrations, vector and pool figures', async t => {
  const { status, body } = await get('/health')
  t.equal(status, 200)
  t.match(body, { status: 'ok', database: { reachable: true }, migrations: { pending: 0, names: [] }, vector: { installed: true, version: /^\d+\.\d+/ }, pool: { max: 20 } })
  t.type(body.pool.inUse, 'number')
})

t.test('GET /users/:id/conversations', async t => {
  const { status, body } = await get(`/users/${f.users.ms_rivera.id}/conversations`)
  t.equal(status, 200)
  t.same(body.map((c: { title: string }) => c.title).sort(), ['Persuasive essay rubric', 'Planning the quadratics unit', 'Preparing for a parent conference', 'Teaching completing the square'])
  t.same(Object.keys(body[0]).sort(), ['createdAt', 'id', 'shareEnabled', 'status', 'title', 'updatedAt'], 'only the listed fields')
  t.equal((await get(`/users/${UNKNOWN}/conversations`)).status, 404)
  const bad = await get('/users/42/conversations')
  t.equal(bad.status, 400)
  t.match(bad.body, { statusCode: 400, code: 'BAD_REQUEST', message: 'params/id must match format "uuid"' })
})

t.test('GET /conversations/:id/messages: newest first, keyset-paged on (created_at, id)', async t => {
  const id = f.conversations.algebra_help.id
  const all = await get(`/conversations/${id}/messages?limit=100`)
  t.equal(all.status, 200)
  const times = all.body.messages.map((m: { createdAt: string }) => m.createdAt)
  t.same(times, [...times].sort().reverse(), 'newest first')
  t.equal(all.body.nextCursor, null, 'no further page')

  const seen: string[] = []
  let cursor: string | null = null
  for (let page = 0; page < 50; page++) {
    const res: { status: number, body: any } = await get(`/conversations/${id}/messages?limit=2${cursor !== null ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    t.equal(res.status, 200)
    seen.push(...res.body.messages.map((m: { id: string }) => m.id))
    cursor = res.body.nextCursor
    if (cursor === null) break
  }
  t.same(seen, all.body.messages.map((m: { id: string }) => m.id), 'pages of 2 add up to the whole list, in order, no gaps')

  const answer = all.body.messages.find((m: { role: string, citations: unknown }) => m.role === 'assistant' && m.citations !== null)
  t.match(answer.citations, { sources: Array, confidence: Number }, 'JSONB comes back as an object')

  const empty = await get(`/conversations/${f.conversations.admin_audit.id}/messages?cursor=${Buffer.from(`2000-01-01T00:00:00.000000Z|${UNKNOWN}`).toString('base64url')}`)
  t.same(empty.body, { messages: [], nextCursor: null }, 'a known conversation with nothing older is an empty page, not a 404')
  t.equal((await get(`/conversations/${UNKNOWN}/messages`)).status, 404)
  t.equal((await get(`/conversations/${id}/messages?limit=0`)).status, 400)
  t.equal((await get(`/conversations/${id}/messages?cursor=yesterday`)).status, 400)
  t.equal((await get(`/conversations/${id}/messages?sort=asc`)).status, 400, 'unknown query parameters are refused')
})

t.test('the message page uses idx_messages_conversation', async t => {
  const plan = await app.db.sequelize.transaction(async transaction => {
    // A tiny table would be scanned whole; SET LOCAL keeps the setting inside this transaction.
    await app.db.sequelize.query('SET LOCAL enable_seqscan = off', { transaction })
    const [rows] = await app.db.sequelize.query(`EXPLAIN SELECT id FROM messages WHERE conversation_id = '${f.conversations.algebra_help.id}' AND created_at <= now() AND (created_at < now() OR id < '${UNKNOWN}') ORDER BY created_at DESC, id DESC LIMIT 20`, { transaction })
    return rows
  })
  t.match(JSON.stringify(plan), /Index Scan Backward using idx_messages_conversation/)
})

t.test('POST /conversations/:id/messages', async t => {
  const id = f.conversations.lesson_planning.id
  const res = await app.inject({ method: 'POST', url: `/conversations/${id}/messages`, payload: { role: 'user', content: 'Can you add a warm-up?', domains: ['math'], citations: { sources: [] } } })
  t.equal(res.statusCode, 201)
  const created = res.json()
  t.match(created, { role: 'user', content: 'Can you add a warm-up?', domains: ['math'], citations: { sources: [] }, feedbackScore: null, createdAt: ISO_MS })
  const newest = await get(`/conversations/${id}/messages?limit=1`)
  t.equal(newest.body.messages[0].id, created.id, 'it is the newest message')
  const conversation = await app.db.models.Conversation.findByPk(id)
  t.ok(conversation!.updatedAt.getTime() > Date.now() - 60_000, "the conversation's updated_at moved")

  const post = async (url: string, payload: unknown): Promise<{ statusCode: number, json: () => any }> => await app.inject({ method: 'POST', url, payload: payload as object })
  t.equal((await post(`/conversations/${UNKNOWN}/messages`, { role: 'user', content: 'x' })).statusCode, 404)
  t.equal((await post('/conversations/nope/messages', { role: 'user', content: 'x' })).statusCode, 400)
  const badRole = await post(`/conversations/${id}/messages`, { role: 'robot', content: 'x' })
  t.match(badRole.json(), { statusCode: 400, message: 'body/role must be equal to one of the allowed values' })
  t.equal((await post(`/conversations/${id}/messages`, { role: 'user', content: '' })).statusCode, 400)
  t.equal((await post(`/conversations/${id}/messages`, { role: 'user', content: 'x', inputTokens: -1 })).statusCode, 400)
  t.equal((await post(`/conversations/${id}/messages`, { role: 'user', content: 'x', feedbackScore: 5 })).statusCode, 400)
  t.equal((await post(`/conversations/${id}/messages`, { role: 'user', content: 'x', conversationId: UNKNOWN })).statusCode, 400, 'no extra fields')
  const archived = await post(`/conversations/${f.conversations.parent_conference.id}/messages`, { role: 'user', content: 'x' })
  t.equal(archived.statusCode, 409)
  t.match(archived.json(), { code: 'CONVERSATION_ARCHIVED' })
  const notJson = await app.inject({ method: 'POST', url: `/conversations/${id}/messages`, headers: { 'content-type': 'application/json' }, payload: '{"role":' })
  t.equal(notJson.statusCode, 400)
  t.notMatch(notJson.body, /at .*\.js/, 'no stack trace')
})

t.test('GET /shared/:token only while sharing is enabled', async t => {
  const shared = await get('/shared/shr_9f2c4e7a1b3d5f60')
  t.equal(shared.status, 200)
  t.equal(shared.body.title, 'Persuasive essay rubric')
  t.ok(shared.body.messages.length > 0)
  t.same([...new Set(shared.body.messages.map((m: { role: string }) => m.role))].sort(), ['assistant', 'user'], 'only the dialogue: no system message')
  const debrief = Object.values(f.conversations).find(c => c.shareEnabled && c.title === 'Observation debrief for Mr Chen')
  if (debrief?.shareToken != null) {
    const withSystem = await get(`/shared/${debrief.shareToken}`)
    t.equal(withSystem.status, 200)
    t.notMatch(JSON.stringify(withSystem.body), /confidential to the coach|"role":"system"/, 'the confidential system message is not shown')
  } else t.fail('the fixtures share the observation debrief')
  t.notOk(JSON.stringify(shared.body).includes(f.users.ms_rivera.id), "the owner's id is not in it")
  t.notOk(JSON.stringify(shared.body).includes('@'), 'nor an email')
  const revoked = await get('/shared/shr_1a2b3c4d5e6f7a8b')
  t.equal(revoked.status, 404, 'a token with sharing turned off looks unknown')
  t.same(revoked.body, (await get('/shared/shr_doesnotexist00')).body, 'exactly like an unknown one')
  t.equal((await get('/shared/has%20space')).status, 400)
})

t.test('every route formats timestamps one way: 2025-12-31T08:00:00.000Z', async t => {
  const stamps: unknown[] = []
  const conversations = await get(`/users/${f.users.ms_rivera.id}/conversations`)
  for (const c of conversations.body) stamps.push(c.createdAt, c.updatedAt)
  const page = await get(`/conversations/${f.conversations.algebra_help.id}/messages?limit=100`)
  for (const m of page.body.messages) stamps.push(m.createdAt)
  const shared = await get('/shared/shr_9f2c4e7a1b3d5f60')
  stamps.push(shared.body.createdAt, ...shared.body.messages.map((m: { createdAt: string }) => m.createdAt))
  const posted = await app.inject({ method: 'POST', url: `/conversations/${f.conversations.algebra_help.id}/messages`, payload: { role: 'user', content: 'ok' } })
  stamps.push(posted.json().createdAt)
  t.ok(stamps.length > 10)
  for (const stamp of stamps) t.match(stamp, ISO_MS)
})

t.test('conflicts are 409 with the constraint named, never a 500', async t => {
  // A second conversation may not reuse a share token (idx_conversations_share_token).
  const route = '/conflict-probe'
  t.equal((await get(route)).status, 404)
  const err = await app.db.models.Conversation.create({ userId: f.users.mr_chen.id, shareToken: 'shr_9f2c4e7a1b3d5f60' }).catch((e: unknown) => e)
  const { registerErrorHandler } = await import('../example/http-errors.js')
  const probe = (await import('fastify')).default()
  registerErrorHandler(probe)
  probe.get(route, async () => { throw err })
  probe.get('/boom', async () => { throw new Error('SELECT secret FROM somewhere failed') })
  const res = await probe.inject({ method: 'GET', url: route })
  t.equal(res.statusCode, 409)
  t.same(res.json(), { statusCode: 409, error: 'Conflict', code: 'CONFLICT', message: 'The request conflicts with existing data (constraint idx_conversations_share_token).' })
  const boom = await probe.inject({ method: 'GET', url: '/boom' })
  t.equal(boom.statusCode, 500)
  t.same(boom.json(), { statusCode: 500, error: 'Internal Server Error', code: 'INTERNAL', message: 'Something went wrong on our side; it has been logged.' })
  await probe.close()
})

t.test('DELETE /users/:id cascades and says what went', async t => {
  const id = f.users.ms_rivera.id
  const before = await app.db.models.Message.count({ include: [{ association: 'conversation', where: { userId: id }, required: true }] })
  const res = await app.inject({ method: 'DELETE', url: `/users/${id}` })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { deleted: { users: 1, sessions: 3, conversations: 4, messages: before } })
  t.equal(await app.db.models.Conversation.count({ where: { userId: id } }), 0)
  t.equal(await app.db.models.Session.count({ where: { userId: id } }), 0)
  t.equal((await get(`/shared/shr_9f2c4e7a1b3d5f60`)).status, 404, 'its shared link is gone too')
  t.equal((await app.inject({ method: 'DELETE', url: `/users/${id}` })).statusCode, 404)
  t.equal((await app.inject({ method: 'DELETE', url: '/users/x' })).statusCode, 400)
})
