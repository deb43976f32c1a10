import { fileTest } from '../helpers/file-test.js'
import pg from 'pg'
import { createServer, type AddressInfo } from 'node:net'
import { createEmbeddedTestDatabase, serverListening, testEngine } from '../../lib/testing/embedded-database.js'

const t = fileTest()

// The fallback `npm test` uses on a machine without PostgreSQL.
t.test('a migrated embedded test database with the fixtures', async t => {
  const db = await createEmbeddedTestDatabase({ fixtures: true })
  t.teardown(db.drop)
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  t.teardown(() => client.end())
  const { rows } = await client.query('SELECT (SELECT count(*)::int FROM schema_migrations) AS migrations, (SELECT count(*)::int FROM users) AS users')
  t.equal(rows[0].migrations, 1)
  t.ok(rows[0].users > 0, 'fixtures loaded')
})

t.test('which engine the suite runs on', async t => {
  t.equal(await testEngine({ COACH_DB_TEST_ENGINE: 'pglite' }), 'pglite')
  t.equal(await testEngine({ TEST_DATABASE_URL: 'postgres://u@db:5432/x' }), 'postgres', 'an explicit server is never replaced')
  t.match(await testEngine({}), /^(postgres|pglite)$/)
})

t.test('a server that listens is found even when the event loop is blocked meanwhile', async t => {
  // On a busy machine (or beside a PGlite start, which blocks the loop ~0.35 s) the probe's
  // connect and its timeout come due together, and Node runs the timer first: with a 1 s timeout
  // a blocked second made the suite switch to PGlite with PostgreSQL running (seen in CI's load).
  const server = createServer(socket => { socket.destroy() })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const probing = serverListening('127.0.0.1', (server.address() as AddressInfo).port)
  const until = Date.now() + 1_500
  while (Date.now() < until) {} // the loop is blocked; the connect completes in the kernel meanwhile
  t.equal(await probing, true)
})

t.test('nothing listening is told at once', async t => {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  t.equal(await serverListening('127.0.0.1', port), false)
})
