import { fileTest } from '../helpers/file-test.js'
import { startEmbedded } from '../../lib/engine/index.js'
import { silentLogger } from '../../lib/logger.js'
import { buildApp } from '../helpers/app.js'

const t = fileTest()

// The engine answers nothing itself: app.db.health() on PGlite is a real round trip through the
// one session, so it waits behind another connection's transaction, and it fails once the engine
// is gone. (The engine once answered `SELECT 1` on its own while the session was busy, so a health
// check on PGlite measured nothing.)

t.test('health on PGlite: a real round trip, with its latency, migrated under the lock', async t => {
  const app = await buildApp(t, { connectionString: 'pglite://memory', migrate: true, pool: { max: 4 } })
  const health = await app.db.health()
  t.equal(health.reachable, true)
  t.equal(health.ready, true, 'migrations ran under the migration lock on the one session')
  t.type(health.latencyMs, 'number')
  t.same(health.pendingMigrations, [])
})

t.test('health waits its turn behind an open transaction instead of being answered by the engine', async t => {
  const app = await buildApp(t, { connectionString: 'pglite://memory', pool: { max: 4 } })
  // Two connections open and idle in the pool, so the check's own connection needs no set-up
  // statements: what waits is its SELECT 1 itself.
  await Promise.all([app.db.sequelize.query('SELECT 1'), app.db.sequelize.query('SELECT 1')])
  t.ok((await app.db.health()).pool.size >= 2, 'two pooled connections')
  const holding = await app.db.sequelize.transaction()
  await app.db.sequelize.query('SELECT 1', { transaction: holding })
  // Another pool connection is free: only the session is busy, so the check's SELECT 1 reaches
  // PGlite only after the transaction ends.
  const busy = await app.db.health({ timeoutMs: 300 })
  t.equal(busy.reachable, false, 'no answer while the session is in another connection\'s transaction')
  t.equal(busy.error, 'no answer from the database within 300 ms')
  await holding.commit()
  const free = await app.db.health()
  t.equal(free.reachable, true)
  t.type(free.latencyMs, 'number')
})

t.test('health fails once the engine is closed', async t => {
  const engine = await startEmbedded('pglite://memory', silentLogger(), { listen: true })
  t.teardown(engine.close)
  const app = await buildApp(t, { connectionString: engine.connectionString, connectRetry: false, connectTimeoutMs: 1_000 })
  t.equal((await app.db.health()).reachable, true)
  await engine.close()
  const after = await app.db.health({ timeoutMs: 1_500 })
  t.equal(after.reachable, false)
  t.equal(after.latencyMs, null)
  t.type(after.error, 'string')
})
