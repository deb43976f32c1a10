import { fileTest } from '../helpers/file-test.js'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify, { type FastifyInstance } from 'fastify'
import dbPlugin, { SecretError } from '../../lib/index.js'
import { FakeSecretsManager, useDummyAwsEnv } from '../helpers/fake-secrets-manager.js'
import { freshDatabase, serverOf } from '../helpers/app.js'
import { captureLogs } from '../helpers/log-capture.js'
import { runCli } from '../helpers/cli.js'
import { needsServer } from '../helpers/engine.js'

const t = fileTest()

// A Secrets Manager endpoint that accepts requests and never answers (issue 11, item 5): reads
// are bounded, new connections keep using the cached credentials, nothing stays wedged once the
// endpoint answers again, and start-up and the CLI fail with a clear error instead of hanging.
useDummyAwsEnv()
delete process.env.DATABASE_URL
delete process.env.DB_SECRET_NAME
process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config'
// One attempt per read: every assertion here is about a read being bounded, and the SDK's
// retries would only multiply each wait (about 6 s a read with its default 3). The message must
// then say 1 attempt, not the default.
process.env.AWS_MAX_ATTEMPTS = '1'

const db = await freshDatabase(t)
const fake = await FakeSecretsManager.start()
t.teardown(() => fake.close())
const PASSWORD = 'stall-pw-do-not-log-41ad'
fake.set('coach/stall', { engine: 'postgres', ...serverOf(db.url), username: 'postgres', password: PASSWORD, sslmode: 'disable' })

async function burst (app: FastifyInstance, n: number): Promise<Array<PromiseSettledResult<unknown>>> {
  return await Promise.allSettled(Array.from({ length: n }, async () => await app.db.sequelize.query('SELECT pg_sleep(0.3)')))
}

async function until (condition: () => boolean): Promise<boolean> {
  for (let i = 0; i < 120 && !condition(); i++) await sleep(250)
  return condition()
}

t.test('a stalled endpoint after start-up: new connections use the cached credentials, and the cache recovers with the endpoint', needsServer('several connections opening at once while the secret is refreshed; PGlite serves one session'), async t => {
  fake.stalled = false
  const logs = captureLogs('info')
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(dbPlugin, { secretId: 'coach/stall', endpoint: fake.url, secretTtlMs: 300, pool: { max: 12, min: 0, idle: 60_000, acquire: 30_000 } })
  await app.ready()
  let opened = 0
  app.db.sequelize.addHook('afterConnect', () => { opened++ })

  fake.stalled = true
  const asked = fake.count('coach/stall')
  await sleep(350)
  const during = await burst(app, 6)
  t.same(during.map(r => r.status), Array(6).fill('fulfilled'), 'requests succeed while the endpoint stalls')
  t.ok(opened >= 1, `new connections opened while the endpoint stalls (${opened})`)
  t.ok(fake.count('coach/stall') > asked, 'the expired secret was asked for')
  const warning = (): { msg: string, code: string } | undefined => logs.lines.map(line => JSON.parse(line)).find(entry => /could not refresh secret "coach\/stall"/.test(entry.msg))
  t.ok(await until(() => warning() !== undefined), 'the stalled read gave up')
  t.match(warning(), { code: 'ERR_COACH_DB_SECRET_TIMEOUT', msg: /did not answer a read.*new connections keep using the cached credentials/ }, 'and said so once, in a warning')

  fake.stalled = false
  const answered = fake.answered
  await sleep(350)
  const openedBefore = opened
  const after = await burst(app, 12)
  t.same(after.map(r => r.status), Array(12).fill('fulfilled'), 'requests succeed after the endpoint is back')
  t.ok(opened > openedBefore, 'with new connections')
  t.ok(await until(() => fake.answered > answered), 'and the secret is read again: nothing stayed wedged')
  t.notMatch(logs.text(), PASSWORD)
})

t.test('a stalled endpoint at start-up fails register with SecretError ERR_COACH_DB_SECRET_TIMEOUT', async t => {
  fake.stalled = true
  t.teardown(() => { fake.stalled = false })
  // A roomy pluginTimeout, so the read's own bound is what ends start-up even on a loaded machine.
  const app = Fastify({ pluginTimeout: 30_000 })
  const err = await app.register(dbPlugin, { secretId: 'coach/stall', endpoint: fake.url }).ready().then(() => new Error('expected start-up to fail'), (e: Error) => e)
  await app.close().catch(() => {})
  t.type(err, SecretError, `${err.name}: ${err.message}`)
  t.equal((err as SecretError).code, 'ERR_COACH_DB_SECRET_TIMEOUT')
  t.match(err.message, /did not answer a read of secret "coach\/stall" in time \(1 attempt of 2000 ms, 8000 ms in all\)/)
})

t.test('coach-db status with a stalled endpoint exits with a clear error', async t => {
  fake.stalled = true
  t.teardown(() => { fake.stalled = false })
  const run = await runCli(['status'], { ...process.env, DB_SECRET_NAME: 'coach/stall', AWS_ENDPOINT_URL_SECRETS_MANAGER: fake.url })
  t.not(run.code, 0)
  t.match(run.err, /^coach-db status: AWS Secrets Manager did not answer a read of secret "coach\/stall" in time \(1 attempt of 2000 ms.*\[ERR_COACH_DB_SECRET_TIMEOUT\]$/)
})
