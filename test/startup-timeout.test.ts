import { type Test } from 'tap'
import { fileTest } from './helpers/file-test.js'
import net from 'node:net'
import Fastify from 'fastify'
import pg from 'pg'
import dbPlugin, { StartupTimeoutError, DEFAULT_META_TABLE, type CoachDbOptions } from '../lib/index.js'
import { MigrationLock } from '../lib/migrator/index.js'
import { freshDatabase, serverOf } from './helpers/app.js'
import { FakeSecretsManager, useDummyAwsEnv } from './helpers/fake-secrets-manager.js'
import { needsServer } from './helpers/engine.js'

const t = fileTest()

// Start-up must fit Fastify's pluginTimeout (issue 11, item 6): each wait ends with our own
// StartupTimeoutError naming what to change, never AVV_ERR_PLUGIN_EXEC_TIMEOUT.
useDummyAwsEnv()
process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config'
delete process.env.DB_SECRET_NAME

const db = await freshDatabase(t)

async function startupError (options: CoachDbOptions, pluginTimeout: number): Promise<Error> {
  const app = Fastify({ pluginTimeout })
  try {
    await app.register(dbPlugin, options)
    await app.ready()
  } catch (err) {
    return err as Error
  } finally {
    await app.close().catch(() => {})
  }
  throw new Error('expected start-up to fail')
}

function expectStartupTimeout (t: Test, err: Error, step: string, advice: RegExp): void {
  t.type(err, StartupTimeoutError, `${err.name}: ${err.message}`)
  t.equal((err as StartupTimeoutError).code, 'ERR_COACH_DB_STARTUP_TIMEOUT')
  t.equal((err as StartupTimeoutError).step, step)
  t.match(err.message, /pluginTimeout \(2000 ms\)/)
  t.match(err.message, advice)
}

t.test('another replica holds the migration lock: our error, naming the release-step pattern', needsServer('a second session holds the advisory lock'), async t => {
  const empty = await freshDatabase(t, { migrated: false })
  const holder = new pg.Client({ connectionString: empty.url })
  holder.on('error', () => {}) // the database's drop at teardown may end it first
  await holder.connect()
  t.teardown(async () => { await holder.end() })
  await holder.query('SELECT pg_advisory_lock(hashtext($1))', [MigrationLock.keyFor(DEFAULT_META_TABLE)])
  const err = await startupError({ connectionString: empty.url, migrate: true }, 2_000)
  expectStartupTimeout(t, err, 'waiting for the migration lock', /coach-db up.*migrationLock: 'skip'/)
})

t.test('a database that accepts TCP and never answers: our error, naming connectRetry', async t => {
  const sockets = new Set<net.Socket>()
  const silent = net.createServer(socket => { sockets.add(socket); socket.on('error', () => {}) })
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>(resolve => silent.close(() => { resolve() }))
  })
  const { port } = silent.address() as net.AddressInfo
  const err = await startupError({ connectionString: `postgres://postgres@127.0.0.1:${port}/coach` }, 2_000)
  expectStartupTimeout(t, err, 'connecting to the database', /"connectRetry" \/ "connectTimeoutMs"/)
})

t.test('Secrets Manager answering too slowly: our error, naming the endpoint', async t => {
  const fake = await FakeSecretsManager.start()
  t.teardown(() => fake.close())
  fake.set('coach/slow', { engine: 'postgres', ...serverOf(db.url), username: 'postgres', password: 'slow-pw', sslmode: 'disable' })
  fake.delayMs = 4_000
  const err = await startupError({ secretId: 'coach/slow', endpoint: fake.url }, 2_000)
  expectStartupTimeout(t, err, 'reading the secret', /endpoint/)
})

t.test('within the budget, start-up is unchanged', async t => {
  const app = Fastify({ pluginTimeout: 2_000 })
  t.teardown(() => app.close())
  await app.register(dbPlugin, { connectionString: db.url, migrate: true })
  await app.ready()
  t.equal(await app.db.models.User.count(), 0)
})
