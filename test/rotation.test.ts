import { inspect } from 'node:util'
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import dbPlugin, { ConnectionError } from '../lib/index.js'
import { FakeSecretsManager, useDummyAwsEnv } from './helpers/fake-secrets-manager.js'
import { startPrivateCluster } from './helpers/private-cluster.js'
import { captureLogs } from './helpers/log-capture.js'

// Password rotation against a PostgreSQL that checks passwords, with traffic running throughout:
// open connections keep working, new ones pick up the new password, and no request fails.
useDummyAwsEnv()
delete process.env.DATABASE_URL
delete process.env.DB_SECRET_NAME

const cluster = await startPrivateCluster(t)
const fake = await FakeSecretsManager.start()
t.teardown(() => fake.close())

const PASSWORDS = ['rot-first-9d2e71', 'rot-second-4b8a03', 'rot-third-c61f5e']
await cluster.adminQuery(`CREATE ROLE app LOGIN PASSWORD '${PASSWORDS[0]}'`)
await cluster.adminQuery('CREATE DATABASE coach OWNER app')

function secretFor (password: string): Record<string, unknown> {
  return { engine: 'postgres', host: '127.0.0.1', port: cluster.port, username: 'app', password, dbname: 'coach', ...(cluster.ssl ? {} : { sslmode: 'disable' }) }
}

async function setPassword (password: string): Promise<void> {
  await cluster.adminQuery(`ALTER ROLE app PASSWORD '${password}'`)
}

/** Connections the app opened: when, and with which password (read from Sequelize's per-connection config). */
interface Opened { at: number, password: string }

async function buildApp (t: Test, secretId: string, logs = captureLogs('debug')): Promise<{ app: FastifyInstance, opened: Opened[] }> {
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(dbPlugin, { secretId, endpoint: fake.url, secretTtlMs: 60_000, pool: { max: 6, min: 0, idle: 100, acquire: 10_000 }, connectRetry: false })
  app.get('/who', async () => {
    const [rows] = await app.db.sequelize.query('SELECT current_user AS who, pg_backend_pid() AS pid')
    return rows[0]
  })
  app.get('/slow', async () => {
    await app.db.sequelize.query('SELECT pg_sleep(0.05)')
    return { ok: true }
  })
  await app.ready()
  const opened: Opened[] = []
  app.db.sequelize.addHook('afterConnect', (_connection, config) => {
    opened.push({ at: Date.now(), password: (config as { password: string }).password })
  })
  return { app, opened }
}

/** Requests in a loop from a few workers until stopped; every response is kept. */
function traffic (app: FastifyInstance, workers = 3): { stop: () => Promise<Array<{ at: number, status: number, pid?: number, body: string }>> } {
  const results: Array<{ at: number, status: number, pid?: number, body: string }> = []
  let running = true
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const res = await app.inject('/who')
      results.push({ at: Date.now(), status: res.statusCode, pid: res.statusCode === 200 ? res.json().pid : undefined, body: res.body })
    }
  })
  return {
    stop: async () => {
      running = false
      await Promise.all(loops)
      return results
    }
  }
}

/** Makes the pool open new connections now (more concurrent requests than it has), then lets idle ones expire. */
async function recyclePool (app: FastifyInstance): Promise<number[]> {
  const statuses = (await Promise.all(Array.from({ length: 6 }, async () => await app.inject('/slow')))).map(r => r.statusCode)
  await new Promise(resolve => setTimeout(resolve, 1_300)) // pool idle 100 ms, reaped every second
  statuses.push(...(await Promise.all(Array.from({ length: 6 }, async () => await app.inject('/slow')))).map(r => r.statusCode))
  return statuses
}

t.test('rotation under traffic: zero failed requests, new connections use the new password', async t => {
  fake.set('coach/rotating', secretFor(PASSWORDS[0] as string))
  const logs = captureLogs('debug')
  const { app, opened } = await buildApp(t, 'coach/rotating', logs)
  const load = traffic(app)
  const bursts: number[] = []
  await new Promise(resolve => setTimeout(resolve, 200))

  // AWS single-user rotation: pending version, then the database, then AWSCURRENT moves.
  fake.set('coach/rotating', secretFor(PASSWORDS[1] as string), 'AWSPENDING')
  const firstRotation = Date.now()
  await setPassword(PASSWORDS[1] as string)
  bursts.push(...await recyclePool(app))
  fake.promotePending('coach/rotating')

  // A rotation done by hand, secret first: the cached password keeps working until ALTER ROLE.
  fake.set('coach/rotating', secretFor(PASSWORDS[2] as string))
  const secondRotation = Date.now()
  await setPassword(PASSWORDS[2] as string)
  const secondRotationDone = Date.now()
  bursts.push(...await recyclePool(app))
  const results = await load.stop()

  const failed = [...results.filter(r => r.status !== 200).map(r => r.body), ...bursts.filter(s => s !== 200).map(String)]
  t.same(failed, [], 'zero failed requests')
  t.ok(results.length > 50, `traffic kept flowing (${results.length} requests)`)
  const pidsBefore = new Set(results.filter(r => r.at < firstRotation).map(r => r.pid))
  t.ok(results.some(r => r.at > firstRotation && pidsBefore.has(r.pid)), 'connections opened before the rotation kept serving requests')
  t.ok(opened.some(o => o.at > firstRotation && o.at < secondRotation && o.password === PASSWORDS[1]), 'new connections used the pending password during the AWS rotation')
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

t.test('a password that is still refused after the refetch fails with ERR_COACH_DB_AUTH, once', async t => {
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
