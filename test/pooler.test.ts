import { fileTest } from './helpers/file-test.js'
import { hasPostgresBinaries } from './helpers/engine.js'
import { startPrivateCluster, type PrivateCluster } from './helpers/private-cluster.js'
import { pgbouncerMissing, startPgBouncer, type Bouncer } from './helpers/topology.js'
import { buildApp, registrationError } from './helpers/app.js'
import { captureLogs } from './helpers/log-capture.js'
import { OptionsError } from '../lib/index.js'
import { isRdsProxyHost } from '../lib/open-database.js'

const t = fileTest()

// PgBouncer in pool_mode=transaction, as RDS Proxy multiplexes: the app's pool goes through it,
// migrations and their session-level lock go to the primary through directUrl.
const skip = !hasPostgresBinaries ? 'needs the PostgreSQL server binaries (initdb, pg_ctl)' : pgbouncerMissing()
let cluster: PrivateCluster
let bouncer: Bouncer

t.before(async () => {
  if (skip !== false) return
  cluster = await startPrivateCluster(t, { ssl: false })
  await cluster.adminQuery('CREATE DATABASE coach')
  await cluster.adminQuery('CREATE EXTENSION IF NOT EXISTS vector', [], 'coach').catch(() => {})
  bouncer = await startPgBouncer(t, cluster, { poolMode: 'transaction', poolSize: 10 })
})

t.test('8 replicas starting together behind pgbouncer migrate exactly once through directUrl', { skip }, async t => {
  const logs = Array.from({ length: 8 }, () => captureLogs('info'))
  // The seven that wait for the lock wait as long as the migration takes, which on a busy machine
  // can pass Fastify's default pluginTimeout (10 s): replicas that migrate at start configure more.
  const apps = await Promise.all(logs.map(async log => await buildApp(t, {
    connectionString: bouncer.urlFor('coach'),
    directUrl: cluster.urlFor('coach'),
    pooler: 'transaction',
    migrate: true,
    statementTimeoutMs: 30_000
  }, log.logger, app => app.get('/count', async () => ({ users: await app.db.models.User.count() })), 60_000)))
  const applied = logs.map(log => log.lines.filter(line => /migration up done/.test(line)).length)
  const files = (await cluster.adminQuery<{ n: string }>('SELECT count(*) AS n FROM schema_migrations', [], 'coach'))[0].n
  t.equal(applied.reduce((a, b) => a + b, 0), Number(files), `each of the ${files} migrations ran once in all (per app: ${applied.join(',')})`)
  t.equal(applied.filter(n => n > 0).length, 1, 'one replica migrated, the others found the schema up to date')
  t.ok(logs.every(log => /direct connection/.test(log.text())), 'every replica used the direct connection for migrations')

  // 1,000 concurrent requests through the pooler, spread over the 8 apps.
  const results = await Promise.allSettled(Array.from({ length: 1000 }, async (_, i) => {
    const res = await apps[i % apps.length].inject('/count')
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  }))
  const failed = results.filter(r => r.status === 'rejected')
  t.equal(failed.length, 0, `1000 requests through pgbouncer, ${failed.length} failed ${failed.length > 0 ? String((failed[0] as PromiseRejectedResult).reason) : ''}`)
})

t.test('behind a pooler without directUrl, migrate: true is refused naming directUrl', { skip }, async t => {
  const err = await registrationError({ connectionString: bouncer.urlFor('coach'), pooler: 'transaction', migrate: true })
  t.type(err, OptionsError)
  t.match(err.message, /directUrl/)
})

t.test('RDS Proxy endpoints are detected as transaction poolers', async t => {
  t.ok(isRdsProxyHost('myproxy.proxy-c9akciq32.eu-west-1.rds.amazonaws.com'))
  t.ok(isRdsProxyHost('myproxy-read-only.endpoint.proxy-c9akciq32.eu-west-1.rds.amazonaws.com'))
  t.notOk(isRdsProxyHost('mydb.c9akciq32.eu-west-1.rds.amazonaws.com'))
  t.notOk(isRdsProxyHost('proxy.example.org'))
})
