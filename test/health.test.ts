import { fileTest } from './helpers/file-test.js'
import { OptionsError } from '../lib/index.js'
import { buildApp, freshDatabase, registrationError, serverOf } from './helpers/app.js'
import { needsServer } from './helpers/engine.js'
import { freePort, startProxy } from './helpers/tcp-proxy.js'

const t = fileTest()

// Checks that are not about the bound get room: under the suite's load (a dozen files at once
// on 2 cores) the default 2 s has passed before the pending-migrations read answered.
const RELAXED = 15_000

t.test('app.db.health() on a migrated database: ready, with latency, vector version and pool figures', async t => {
  const db = await freshDatabase(t)
  const app = await buildApp(t, { connectionString: db.url, pool: { max: 4 }, healthTimeoutMs: RELAXED })
  const health = await app.db.health()
  t.equal(health.ready, true)
  t.same(health.reasons, [])
  t.equal(health.reachable, true)
  t.type(health.latencyMs, 'number')
  t.ok(health.latencyMs! >= 0)
  t.same(health.pendingMigrations, [])
  t.match(health.vectorVersion, /^\d+\.\d+/)
  t.equal(health.pool.max, 4)
  t.equal(health.pool.inUse, 0, 'the check gave its connection back')
  t.equal(health.pool.waiting, 0)
  t.ok(health.pool.size >= 1, 'the round trip opened a connection')
  t.ok(Number.isFinite(Date.parse(health.checkedAt)))
})

t.test('readiness answers 503 with the reason while migrations are pending, 200 once applied; liveness always 200', async t => {
  const db = await freshDatabase(t, { migrated: false })
  const app = await buildApp(t, { connectionString: db.url, healthRoutes: true, healthTimeoutMs: RELAXED })
  const live = await app.inject('/health/live')
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })
  const before = await app.inject('/health/ready')
  t.equal(before.statusCode, 503)
  t.equal(before.headers['cache-control'], 'no-store')
  const body = before.json()
  t.equal(body.status, 'unavailable')
  t.equal(body.reachable, true)
  t.same(body.pendingMigrations, ['20261123000000_initial_schema'])
  t.match(body.reasons, [/1 migration\(s\) pending: 20261123000000_initial_schema/, /vector extension is not installed/])
  await app.db.migrator.up()
  const after = await app.inject('/health/ready')
  t.equal(after.statusCode, 200)
  t.match(after.json(), { status: 'ready', ready: true, reasons: [], pendingMigrations: [] })
})

t.test('healthRoutes: { prefix } moves the routes; without the option there are none', async t => {
  const db = await freshDatabase(t)
  const app = await buildApp(t, { connectionString: db.url, healthRoutes: { prefix: '/_status' }, healthTimeoutMs: RELAXED })
  t.equal((await app.inject('/_status/ready')).statusCode, 200)
  t.equal((await app.inject('/health/ready')).statusCode, 404)
  const plain = await buildApp(t, { connectionString: db.url })
  t.equal((await plain.inject('/health/live')).statusCode, 404)
})

t.test('bounded by the timeout: with every pool connection busy the check says so instead of waiting', async t => {
  const db = await freshDatabase(t)
  const app = await buildApp(t, { connectionString: db.url, pool: { max: 1 } })
  const holding = await app.db.sequelize.transaction()
  t.teardown(async () => { if ((holding as unknown as { finished?: string }).finished === undefined) await holding.rollback() })
  const health = await app.db.health({ timeoutMs: 300 })
  t.equal(health.reachable, false)
  t.equal(health.ready, false)
  t.equal(health.error, 'no answer from the database within 300 ms')
  t.same(health.reasons, ['no answer from the database within 300 ms'])
  t.equal(health.pendingMigrations, null)
  t.match(health.pool, { max: 1, inUse: 1, waiting: 1 }, 'the pool figures show why')
  await holding.commit()
  const later = await app.db.health()
  t.equal(later.ready, true, 'the abandoned round trip got its connection and gave it back')
  t.match(later.pool, { inUse: 0, waiting: 0 })
})

t.test('unreachable database: 503 with the driver\'s reason', needsServer('a TCP proxy in front of the server'), async t => {
  const db = await freshDatabase(t)
  const target = serverOf(db.url)
  const port = await freePort()
  const proxy = await startProxy(port, { host: target.host, port: target.port })
  const url = new URL(db.url)
  url.port = String(port)
  const app = await buildApp(t, { connectionString: url.toString(), healthRoutes: true, connectTimeoutMs: 1_000, healthTimeoutMs: 5_000 })
  t.equal((await app.inject('/health/ready')).statusCode, 200)
  await proxy.close()
  const res = await app.inject('/health/ready')
  t.equal(res.statusCode, 503)
  t.match(res.json(), { status: 'unavailable', reachable: false, latencyMs: null, error: /^database unreachable: / })
  t.equal((await app.inject('/health/live')).statusCode, 200, 'liveness does not depend on the database')
})

t.test('options are checked', async t => {
  for (const [healthRoutes, message] of [['yes', /"healthRoutes" must be an object, true or false/], [{ prefix: 'health' }, /must start with "\/"/], [{ path: '/x' }, /Unknown option "healthRoutes.path"/]] as const) {
    const err = await registrationError({ connectionString: 'postgres://u@127.0.0.1:1/x', healthRoutes })
    t.type(err, OptionsError)
    t.match(err.message, message)
  }
  const err = await registrationError({ connectionString: 'postgres://u@127.0.0.1:1/x', healthTimeoutMs: 0 })
  t.match(err.message, /"healthTimeoutMs" must be a whole number >= 1/)
})
