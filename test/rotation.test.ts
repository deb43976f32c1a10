import { inspect } from 'node:util'
import { type Test } from 'tap'
import { fileTest } from './helpers/file-test.js'
import Fastify, { type FastifyInstance } from 'fastify'
import dbPlugin, { ConnectionError } from '../lib/index.js'
import { FakeSecretsManager, useDummyAwsEnv } from './helpers/fake-secrets-manager.js'
import { startPrivateCluster, type PrivateCluster } from './helpers/private-cluster.js'
import { needsPrivateCluster } from './helpers/engine.js'
import { captureLogs } from './helpers/log-capture.js'

const t = fileTest()

// Password rotation against a PostgreSQL that checks passwords, with traffic running throughout:
// open connections keep working, new ones pick up the new password, and no request fails.
useDummyAwsEnv()
delete process.env.DATABASE_URL
delete process.env.DB_SECRET_NAME

const PASSWORDS = ['rot-first-9d2e71', 'rot-second-4b8a03', 'rot-third-c61f5e']
const binaries = needsPrivateCluster('a PostgreSQL that checks passwords')
let cluster: PrivateCluster
let fake: FakeSecretsManager
t.before(async () => {
  if (binaries.skip !== false) return
  cluster = await startPrivateCluster(t)
  fake = await FakeSecretsManager.start()
  t.teardown(() => fake.close())
  await cluster.adminQuery(`CREATE ROLE app LOGIN PASSWORD '${PASSWORDS[0]}'`)
  await cluster.adminQuery('CREATE DATABASE coach OWNER app')
})

function secretFor (password: string): Record<string, unknown> {
  return { engine: 'postgres', host: '127.0.0.1', port: cluster.port, username: 'app', password, dbname: 'coach', ...(cluster.ssl ? {} : { sslmode: 'disable' }) }
}

async function setPassword (password: string): Promise<void> {
  await cluster.adminQuery(`ALTER ROLE app PASSWORD '${password}'`)
}

/** Connections the app opened: when, and with which password. */
interface Opened { at: number, password: string }

async function buildApp (t: Test, secretId: string, logs = captureLogs('debug')): Promise<{ app: FastifyInstance, opened: Opened[] }> {
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(dbPlugin, { secretId, endpoint: fake.url, secretTtlMs: 60_000, pool: { max: 6, min: 0, idle: 10_000, acquire: 10_000 }, connectRetry: false })
  app.get('/who', async () => {
    const [rows] = await app.db.sequelize.query('SELECT current_user AS who, pg_backend_pid() AS pid')
    return rows[0]
  })
  app.get('/slow', async () => {
    await app.db.sequelize.query('SELECT pg_sleep(0.2)')
    return { ok: true }
  })
  await app.ready()
  const opened: Opened[] = []
  // Every connection opens through the package's pg-compatible client, which (like pg.Client)
  // tells which password it logged in with. `at` is when the login completed.
  app.db.sequelize.addHook('afterConnect', (connection) => {
    opened.push({ at: Date.now(), password: (connection as { password: string }).password })
  })
  return { app, opened }
}

/** Requests in a loop from a few workers until stopped; every response is kept. */
function traffic (app: FastifyInstance, workers = 3): { pids: () => number, stop: () => Promise<Array<{ at: number, status: number, pid?: number, body: string }>> } {
  const results: Array<{ at: number, status: number, pid?: number, body: string }> = []
  let running = true
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const at = Date.now()
      const res = await app.inject('/who')
      results.push({ at, status: res.statusCode, pid: res.statusCode === 200 ? res.json().pid : undefined, body: res.body })
    }
  })
  return {
    pids: () => new Set(results.map(r => r.pid).filter(pid => pid !== undefined)).size,
    stop: async () => {
      running = false
      await Promise.all(loops)
      return results
    }
  }
}

/** The parts of sequelize-pool's Pool the test uses to close idle connections. */
interface IdlePool {
  _availableObjects: Array<{ resource: unknown }>
  destroy: (resource: unknown) => Promise<void>
}

/**
 * Recycles the pool under traffic: closes its idle connections, as its idle timeout would (but
 * now rather than at the next reaper tick, which under CPU load can be seconds away), then sends
 * more concurrent slow requests than it has connections until it has opened a new one (under
 * load a burst can trickle in slowly enough for the old connections to serve it). Connections in
 * use by the traffic stay open.
 */
async function recyclePool (app: FastifyInstance, opened: Opened[]): Promise<number[]> {
  const since = Date.now()
  // sequelize-pool's destroy() takes a resource out of the pool synchronously, so calling it for
  // every idle one in the same tick closes exactly the idle ones (destroyAllNow() awaits each
  // in turn, and a connection taken by a request meanwhile would be closed under it).
  const pool = (app.db.sequelize.connectionManager as unknown as { pool: IdlePool }).pool
  await Promise.all(pool._availableObjects.map(idle => idle.resource).map(async resource => { await pool.destroy(resource) }))
  const statuses: number[] = []
  for (let round = 0; round < 5 && !opened.some(o => o.at >= since); round++) {
    statuses.push(...(await Promise.all(Array.from({ length: 6 }, async () => await app.inject('/slow')))).map(r => r.statusCode))
  }
  return statuses
}

t.test('rotation under traffic: zero failed requests, new connections use the new password', binaries, async t => {
  fake.set('coach/rotating', secretFor(PASSWORDS[0] as string))
  const logs = captureLogs('debug')
  const { app, opened } = await buildApp(t, 'coach/rotating', logs)
  const load = traffic(app)
  const bursts: number[] = []
  // Until each worker has been served on a connection of its own: a login still in flight at the
  // rotation would complete after it with the old password (on a busy machine logins are slow).
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && load.pids() < 3;) await new Promise(resolve => setTimeout(resolve, 20))

  // AWS single-user rotation: pending version, then the database, then AWSCURRENT moves.
  fake.set('coach/rotating', secretFor(PASSWORDS[1] as string), 'AWSPENDING')
  const firstRotation = Date.now()
  await setPassword(PASSWORDS[1] as string)
  const firstRotationDone = Date.now()
  bursts.push(...await recyclePool(app, opened))
  fake.promotePending('coach/rotating')

  // A rotation done by hand, secret first: the cached password keeps working until ALTER ROLE.
  fake.set('coach/rotating', secretFor(PASSWORDS[2] as string))
  const secondRotation = Date.now()
  await setPassword(PASSWORDS[2] as string)
  const secondRotationDone = Date.now()
  bursts.push(...await recyclePool(app, opened))
  const results = await load.stop()

  const failed = [...results.filter(r => r.status !== 200).map(r => r.body), ...bursts.filter(s => s !== 200).map(String)]
  t.same(failed, [], 'zero failed requests')
  t.ok(results.length > 20, `traffic kept flowing (${results.length} requests)`)
  const pidsBefore = new Set(results.filter(r => r.at < firstRotation).map(r => r.pid))
  t.ok(results.some(r => r.at > firstRotationDone && pidsBefore.has(r.pid)), 'connections opened before the rotation kept serving requests after it')
  t.ok(opened.some(o => o.at > firstRotationDone && o.at < secondRotation && o.password === PASSWORDS[1]), 'new connections used the pending password during the AWS rotation')
  t.notOk(opened.some(o => o.at > firstRotationDone && o.at < secondRotation && o.password !== PASSWORDS[1]), 'and no other')
  t.ok(opened.some(o => o.at > secondRotation && o.password === PASSWORDS[2]), 'new connections used the third password after the second rotation')
  t.notOk(opened.some(o => o.at > secondRotationDone && o.password !== PASSWORDS[2]), 'once the role has the new password, every connection opened uses it')
  t.match(logs.text(), /refused the password for a new connection; fetching the secret again and retrying once/)
  t.match(logs.text(), /is mid-rotation; using its AWSPENDING version/)
  t.same(fake.requests.filter(r => r.secretId === 'coach/rotating').map(r => r.versionStage ?? 'AWSCURRENT'), ['AWSCURRENT', 'AWSCURRENT', 'AWSPENDING', 'AWSCURRENT'],
    'read at startup, then once per rotation (plus the pending version during the AWS one), however many connections were refused')

  const shown = `${logs.text()}\n${inspect(app.db, { depth: 10 })}\n${JSON.stringify(app.db)}\n${String(app.db)}`
  for (const password of PASSWORDS) t.notMatch(shown, password, 'no password in logs or in the decorator')
  t.notMatch(shown, /"password"\s*:/, 'no secret JSON in logs or in the decorator')
  t.match(inspect(app.db), /CoachDb \{ app@127\.0\.0\.1:\d+\/coach/)
})

t.test('a password that is still refused after the refetch fails with ERR_COACH_DB_AUTH, once', binaries, async t => {
  fake.set('coach/wrong', secretFor('not-the-password-5e2a'))
  const logs = captureLogs('debug')
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  const err = await (async () => {
    await app.register(dbPlugin, { secretId: 'coach/wrong', endpoint: fake.url, connectRetry: false })
    await app.ready()
  })().then(() => undefined, (e: unknown) => e as Error)
  t.type(err, ConnectionError)
  t.equal((err as ConnectionError).code, 'ERR_COACH_DB_AUTH')
  t.match((err as Error).message, /PostgreSQL at 127\.0\.0\.1:\d+ rejected user "app" \(28P01/)
  t.same(fake.requests.filter(r => r.secretId === 'coach/wrong').map(r => r.versionStage ?? 'AWSCURRENT'), ['AWSCURRENT', 'AWSCURRENT', 'AWSPENDING'], 'read at startup, once more after the refusal, and the pending version')
  t.notMatch(`${inspect(err, { depth: 10 })}\n${logs.text()}`, 'not-the-password-5e2a')
})
