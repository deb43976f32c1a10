import { fileTest } from './helpers/file-test.js'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import dbPlugin, { CoachDbError, PoolExhaustedError } from '../lib/index.js'
import { buildApp, freshDatabase } from './helpers/app.js'
import { captureLogs } from './helpers/log-capture.js'
import { freePort, startProxy } from './helpers/tcp-proxy.js'
import { needsServer } from './helpers/engine.js'

const t = fileTest()

const db = await freshDatabase(t)

function withUsersRoute (app: FastifyInstance): void {
  app.get('/users/count', async () => ({ count: await app.db.models.User.count() }))
}

t.test('the database comes up 2 s after the app starts: startup succeeds within the retry budget', async t => {
  const port = await freePort()
  const url = new URL(db.url)
  url.port = String(port)
  const logs = captureLogs('info')
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  const proxy = sleep(2_000).then(async () => await startProxy(port, { host: '127.0.0.1', port: Number(new URL(db.url).port || 5432) }))
  t.teardown(async () => { await (await proxy).close() })
  await app.register(dbPlugin, { connectionString: url.toString(), connectRetry: { attempts: 8, initialDelayMs: 250, maxDelayMs: 1_000 } })
  await app.ready()
  t.equal(await app.db.models.User.count(), 0, 'queries work')
  t.ok(logs.lines.filter(line => line.includes('not reachable yet')).length >= 2, 'it retried while the database was down')
})

t.test('the host goes silent while the pool\'s first connection is being set up: close still ends, soon', needsServer('a silent host is a TCP-level failure of a server'), async t => {
  // Start-up's connection goes to the pool after ready, where Sequelize sets it up (its SET and
  // pg_type read) in the background; with no queryTimeoutMs nothing bounds those queries, and
  // close used to wait for them until TCP keepalive gave up (minutes). The proxy goes silent at
  // the first of them.
  const port = await freePort()
  const url = new URL(db.url)
  url.port = String(port)
  const proxy = await startProxy(port, { host: '127.0.0.1', port: Number(new URL(db.url).port || 5432) }, { silenceOn: /pg_type|SET / })
  t.teardown(proxy.close)
  const logs = captureLogs('info')
  const app = Fastify({ logger: logs.logger })
  await app.register(dbPlugin, { connectionString: url.toString(), connectRetry: false })
  await app.ready()
  const closing = app.close().then(() => 'closed')
  const outcome = await Promise.race([closing, sleep(15_000).then(() => 'still waiting after 15 s')])
  t.equal(outcome, 'closed', 'close ends')
  t.notMatch(logs.text(), /first connection failed/, 'and does not report the connection it dropped as a failure')
  await closing
})

t.test('the database host goes silent: every request settles with a CoachDbError, and the pool serves again once it is back', needsServer('a silent host is a TCP-level failure of a server'), async t => {
  const port = await freePort()
  const url = new URL(db.url)
  url.port = String(port)
  const proxy = await startProxy(port, { host: '127.0.0.1', port: Number(new URL(db.url).port || 5432) })
  t.teardown(proxy.close)
  const app = await buildApp(t, { connectionString: url.toString(), statementTimeoutMs: 1_000, connectTimeoutMs: 1_000, pool: { max: 4, acquire: 5_000 }, connectRetry: false })
  const { User } = app.db.models
  await Promise.all(Array.from({ length: 4 }, async () => await app.db.sequelize.query('SELECT pg_sleep(0.05)')))

  // Four queries in flight when the host goes silent, then four more that need a connection.
  // Each sleeps 0.8 s (under the 1 s statement timeout): 50 ms later they still run, even if the
  // event loop stalls meanwhile (another file of the batch starting PGlite blocks it ~0.35 s).
  const inFlight = Array.from({ length: 4 }, async () => await app.db.sequelize.query('SELECT pg_sleep(0.8)'))
  await sleep(50)
  proxy.silence()
  const later = Array.from({ length: 4 }, async () => await User.count())
  const settled = await Promise.allSettled([...inFlight, ...later])
  t.same(settled.map(r => r.status), Array(8).fill('rejected'), 'every request settled, none hangs')
  for (const r of settled) {
    const reason = (r as PromiseRejectedResult).reason as CoachDbError
    t.type(reason, CoachDbError, `${reason.name}: ${reason.message}`)
    t.match(reason.code, /^ERR_COACH_DB_(QUERY_TIMEOUT|CONNECTION|POOL_EXHAUSTED)$/)
  }
  t.ok(settled.slice(0, 4).every(r => ((r as PromiseRejectedResult).reason as CoachDbError).code === 'ERR_COACH_DB_QUERY_TIMEOUT'), 'in-flight queries ran out of queryTimeoutMs')

  proxy.restore()
  let served = false
  for (let attempt = 0; attempt < 40 && !served; attempt++) {
    served = await User.count().then(() => true, async () => { await sleep(250); return false })
  }
  t.ok(served, 'the pool serves again once the host is back')
  // One after another: no connection caught silent is handed out again. (Eight at once would also
  // need three new logins, which on a busy machine can outlast this test's connectTimeoutMs 1 s.)
  const after: string[] = []
  for (let i = 0; i < 8; i++) after.push(await User.count().then(() => 'fulfilled', (err: Error) => err.message))
  t.same(after, Array(8).fill('fulfilled'), 'and every later request succeeds')
})

t.test('all pool connections killed mid-traffic: later requests succeed and none hangs', needsServer('pg_terminate_backend ends one session of many'), async t => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(dbPlugin, { connectionString: db.url, pool: { max: 5 } })
  withUsersRoute(app)
  await app.ready()
  const statuses: number[] = []
  let stop = false
  const traffic = Promise.all(Array.from({ length: 5 }, async () => {
    while (!stop) statuses.push((await app.inject('/users/count')).statusCode)
  }))
  await sleep(200)
  const admin = new pg.Client({ connectionString: db.url })
  await admin.connect()
  const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'fastify-coach-db'")
  await admin.end()
  t.ok((killed.rowCount ?? 0) > 0, 'pool connections were terminated')
  const failedAtKill = statuses.length
  // Until 20 requests beyond the 5 in flight at the kill have completed (bounded): a count, not
  // a time, so that a busy machine does not fail it.
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && statuses.length < failedAtKill + 25;) await sleep(20)
  stop = true
  await traffic
  t.pass('every in-flight request settled (none hung)')
  const after = statuses.slice(failedAtKill + 5)
  t.ok(after.length > 10, 'traffic went on')
  t.same([...new Set(after)], [200], 'requests after the kill all succeed')
})

t.test('queryTimeoutMs: an answer that arrived in time is not failed because the event loop was busy', needsServer('the answer must arrive while this process is blocked, and PGlite runs in it'), async t => {
  // 1 s: Sequelize's set-up of the connection (its SET and pg_type read) is bounded too, and on a
  // busy machine it can take a few hundred ms.
  const app = await buildApp(t, { connectionString: db.url, queryTimeoutMs: 1_000 })
  await app.db.sequelize.query('SELECT 1')
  const answer = app.db.sequelize.query('SELECT 42 AS answer', { plain: true })
  // Sent; then the process is busy past the bound (a long GC, a CPU-bound handler) while the
  // server answers. Timers run before I/O in the next turn: a bare timer failed the query.
  await new Promise(resolve => setImmediate(resolve))
  const until = Date.now() + 1_500
  while (Date.now() < until) {}
  t.same(await answer, { answer: 42 })
})

t.test('statementTimeoutMs stops a runaway query', needsServer('PGlite cannot cancel a running statement'), async t => {
  // 1 s, not less: the server applies it to Sequelize's set-up of each connection too.
  const app = await buildApp(t, { connectionString: db.url, statementTimeoutMs: 1_000 })
  const err = await app.db.sequelize.query('SELECT pg_sleep(5)').catch((e: unknown) => e)
  t.equal((err as { parent?: { code?: string } }).parent?.code, '57014', 'query_canceled')
  t.match((err as Error).message, /statement timeout/)
  t.same((await app.db.sequelize.query('SELECT 1 AS ok'))[0], [{ ok: 1 }], 'the connection is still usable')
})

t.test('a burst larger than the pool queues and completes within acquire', async t => {
  const app = await buildApp(t, { connectionString: db.url, pool: { max: 2, acquire: 10_000 } })
  const results = await Promise.all(Array.from({ length: 12 }, async () => await app.db.sequelize.query('SELECT pg_sleep(0.05)')))
  t.equal(results.length, 12, 'all twelve queries ran through two connections')
})

t.test('a burst that outlasts acquire fails with a clear pool-exhausted error', async t => {
  const app = await buildApp(t, { connectionString: db.url, pool: { max: 1, acquire: 100 } })
  // The pool's one connection first, set up (on a busy machine its set-up alone can pass 100 ms,
  // and the pool counts it against acquire: asked again until it is there).
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await app.db.sequelize.query('SELECT 1').then(() => true, () => false)) break
  }
  const results = await Promise.allSettled(Array.from({ length: 4 }, async () => await app.db.sequelize.query('SELECT pg_sleep(0.5)')))
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  t.ok(rejected.length >= 1, 'the queries that could not get a connection failed')
  for (const { reason } of rejected) {
    t.type(reason, PoolExhaustedError)
    t.equal(reason.code, 'ERR_COACH_DB_POOL_EXHAUSTED')
    t.match(reason.message, /Database pool exhausted: all 1 connections stayed busy for 100 ms \(pool\.acquire\)/)
  }
  t.ok(results.some(r => r.status === 'fulfilled'), 'the query holding the connection finished')
})
