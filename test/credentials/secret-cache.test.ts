import { fileTest } from '../helpers/file-test.js'
import Fastify, { type FastifyInstance } from 'fastify'
import dbPlugin from '../../lib/index.js'
import { SecretCache } from '../../lib/credentials/secret-cache.js'
import { FakeSecretsManager, useDummyAwsEnv } from '../helpers/fake-secrets-manager.js'
import { freshDatabase, serverOf } from '../helpers/app.js'
import { captureLogs } from '../helpers/log-capture.js'

const t = fileTest()

// The secret's TTL and single flight: unit level with a fake clock, then through the plugin with
// the real SDK (the shared server trusts every password, so only the reads are under test here).
useDummyAwsEnv()

t.test('SecretCache', async t => {
  let now = 0
  let fetches = 0
  let fail = false
  const stale: unknown[] = []
  const cache = new SecretCache<number>({
    fetch: async () => {
      fetches++
      await new Promise(resolve => setTimeout(resolve, 10))
      if (fail) throw new Error('unavailable')
      return fetches
    },
    ttlMs: 1_000,
    now: () => now,
    onStaleError: err => { stale.push(err) }
  })
  t.equal(cache.peek(), undefined)
  t.same(await Promise.all([cache.get(), cache.get(), cache.get()]), [1, 1, 1], 'concurrent first reads share one fetch')
  t.equal(fetches, 1)
  now = 999
  t.equal(await cache.get(), 1, 'fresh until the TTL ends')
  now = 1_000
  t.same(await Promise.all([cache.get(), cache.get()]), [2, 2], 'refetched once when expired')
  t.same(await Promise.all([cache.refresh(), cache.refresh(), cache.get()]), [3, 3, 2], 'refresh ignores the TTL; concurrent refreshes share one fetch')
  t.equal(fetches, 3)
  now = 5_000
  fail = true
  t.equal(await cache.get(), 3, 'a failed refresh after expiry keeps the previous value')
  t.equal(stale.length, 1, 'and reports it')
  t.equal(await cache.get(), 3, 'without retrying on every call until the next TTL')
  t.equal(fetches, 4)
  await t.rejects(cache.refresh(), /unavailable/, 'an explicit refresh does fail')
  const empty = new SecretCache<number>({ fetch: async () => { throw new Error('down') }, ttlMs: 1_000 })
  await t.rejects(empty.get(), /down/, 'with nothing cached, the error is thrown')
})

const db = await freshDatabase(t)
const fake = await FakeSecretsManager.start()
t.teardown(() => fake.close())
const PASSWORD = 'ttl-pw-do-not-log-8c31'
fake.set('coach/ttl', { engine: 'postgres', ...serverOf(db.url), username: 'postgres', password: PASSWORD, sslmode: 'disable' })

async function burst (app: FastifyInstance, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, async () => await app.db.sequelize.query('SELECT pg_sleep(0.05)')))
}

t.test('new connections reuse the secret within the TTL, refetch once after it, and survive a failed refetch', async t => {
  const logs = captureLogs('debug')
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(dbPlugin, { secretId: 'coach/ttl', endpoint: fake.url, secretTtlMs: 2_000, pool: { max: 10, min: 0, idle: 10_000, acquire: 10_000 } })
  await app.ready()
  t.equal(fake.count('coach/ttl'), 1, 'read once at startup')

  await burst(app, 3)
  t.equal(fake.count('coach/ttl'), 1, 'new connections within the TTL use the cached secret')

  await new Promise(resolve => setTimeout(resolve, 2_100))
  fake.delayMs = 150 // all the new connections ask while the one read is under way
  await burst(app, 8)
  t.equal(fake.count('coach/ttl'), 2, 'after the TTL, five concurrent new connections cost one read (single flight)')

  await new Promise(resolve => setTimeout(resolve, 2_100))
  fake.delayMs = 0
  fake.set('coach/ttl', { error: 'InternalServiceError', message: 'try later' })
  await burst(app, 10)
  t.equal(fake.count('coach/ttl'), 3, 'the expired secret was read again')
  const warnings = logs.lines.map(line => JSON.parse(line)).filter(entry => entry.level === 40)
  t.equal(warnings.length, 1, 'the failed refresh is one warning, not an outage')
  t.match(warnings[0]?.msg, /could not refresh secret "coach\/ttl" \(Could not read secret "coach\/ttl" from AWS Secrets Manager: InternalServiceError: try later\); new connections keep using the cached credentials/)
  t.equal(warnings[0]?.code, 'ERR_COACH_DB_SECRET_FETCH')
  t.notMatch(logs.text(), PASSWORD)
})
