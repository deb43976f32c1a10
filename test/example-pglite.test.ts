import { fileTest } from './helpers/file-test.js'
import { buildExampleApp } from '../example/app.js'
import { loadDemoDataIfEmpty } from '../example/demo-data.js'

const t = fileTest()

// The example service on the embedded engine, as `npm start` runs it without DATABASE_URL
// (in memory here): migrations on start, the demo fixtures, and the routes under concurrent
// load through the default pool of 20 connections sharing PGlite's one session.
const app = await buildExampleApp({ connectionString: 'pglite://memory' })
t.teardown(() => app.close())

t.test('an empty database gets the demo data once', async t => {
  t.equal(await loadDemoDataIfEmpty(app.db), true)
  t.equal(await loadDemoDataIfEmpty(app.db), false, 'not twice')
  t.ok(await app.db.models.Message.count() > 10)
})

t.test('GET /health is ready on PGlite', async t => {
  const res = await app.inject('/health')
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'ok', migrations: { pending: 0 }, vector: { installed: true }, pool: { max: 20 } })
})

t.test('concurrent reads and writes (each POST is a transaction) neither deadlock nor mix up', async t => {
  const conversation = await app.db.models.Conversation.findOne({ where: { status: 'active' } })
  const url = `/conversations/${conversation!.id}/messages`
  const posts = Array.from({ length: 30 }, async (_, i) => await app.inject({ method: 'POST', url, payload: { role: 'user', content: `note ${i}` } }))
  const reads = Array.from({ length: 30 }, async () => await app.inject(`${url}?limit=5`))
  const health = Array.from({ length: 5 }, async () => await app.inject('/health'))
  const results = await Promise.all([...posts, ...reads, ...health])
  t.same([...new Set(results.map(r => r.statusCode))].sort(), [200, 201])
  const page = await app.inject(`${url}?limit=100`)
  const contents = page.json().messages.map((m: { content: string }) => m.content)
  t.same(contents.filter((c: string) => c.startsWith('note ')).sort(), Array.from({ length: 30 }, (_, i) => `note ${i}`).sort(), 'every message landed once')
})

t.test('errors on PGlite look the same: 400, 404, 409', async t => {
  t.equal((await app.inject('/users/nope/conversations')).statusCode, 400)
  t.equal((await app.inject('/users/00000000-0000-4000-8000-000000000000/conversations')).statusCode, 404)
  const archived = await app.db.models.Conversation.findOne({ where: { status: 'archived' } })
  const res = await app.inject({ method: 'POST', url: `/conversations/${archived!.id}/messages`, payload: { role: 'user', content: 'x' } })
  t.equal(res.statusCode, 409)
})

t.test('DELETE /users/:id cascades on PGlite', async t => {
  const user = await app.db.models.User.findOne({ include: ['conversations'], order: [['email', 'ASC']] })
  const res = await app.inject({ method: 'DELETE', url: `/users/${user!.id}` })
  t.equal(res.statusCode, 200)
  t.equal(res.json().deleted.conversations, user!.conversations!.length)
  t.equal(await app.db.models.Conversation.count({ where: { userId: user!.id } }), 0)
})
