import { fileTest } from './helpers/file-test.js'
import pg from 'pg'
import { startPrivateCluster } from './helpers/private-cluster.js'
import { makeOtherCa, pgbouncerMissing, serveCertificateFromOwnCa, startPgBouncer, startStreamingReplica } from './helpers/topology.js'

const t = fileTest()

// The real components the production-topology tests stand on: a streaming replica, a PgBouncer in
// transaction mode and a server certificate from a CA of our own.
const cluster = await startPrivateCluster(t)

async function one<R extends pg.QueryResultRow> (config: pg.ClientConfig, sql: string): Promise<R> {
  const client = new pg.Client(config)
  await client.connect()
  try {
    return (await client.query<R>(sql)).rows[0] as R
  } finally {
    await client.end()
  }
}

t.test('a streaming replica is in recovery and replays the primary', async t => {
  const replica = await startStreamingReplica(t, cluster)
  await cluster.adminQuery('CREATE TABLE replicated (n int)')
  await cluster.adminQuery('INSERT INTO replicated VALUES (42)')
  await replica.catchUp()
  t.same(await one({ connectionString: replica.urlFor('postgres') }, 'SELECT pg_is_in_recovery() AS standby, (SELECT n FROM replicated) AS n'), { standby: true, n: 42 })
  t.same(await one({ connectionString: cluster.url }, 'SELECT pg_is_in_recovery() AS standby'), { standby: false })
})

t.test('pgbouncer in transaction mode forwards to the cluster', { skip: pgbouncerMissing() }, async t => {
  const bouncer = await startPgBouncer(t, cluster)
  const row = await one<{ n: number }>({ connectionString: bouncer.urlFor('postgres') }, 'SELECT 1 AS n')
  t.equal(row.n, 1)
})

t.test('verify-full passes with our CA and fails with another CA or another host name', async t => {
  const ca = await serveCertificateFromOwnCa(t, cluster, ['localhost', '127.0.0.1'])
  const other = await makeOtherCa(t)
  const base = { host: '127.0.0.1', port: cluster.port, user: 'postgres', password: decodeURIComponent(new URL(cluster.url).password), database: 'postgres' }
  const row = await one<{ ssl: boolean }>({ ...base, ssl: { ca: ca.caPem, rejectUnauthorized: true } }, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
  t.equal(row.ssl, true)
  await t.rejects(one({ ...base, ssl: { ca: other.caPem, rejectUnauthorized: true } }, 'SELECT 1'), /self-signed|unable to verify|certificate/i)
  await t.rejects(one({ ...base, ssl: { ca: ca.caPem, rejectUnauthorized: true, servername: 'db.example.org' }, host: '127.0.0.1' } as pg.ClientConfig, 'SELECT 1'), /does not match|altnames|Hostname/i)
})
