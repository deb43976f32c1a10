import { fileTest } from '../helpers/file-test.js'
import pg from 'pg'
import { hasOpenssl, startPrivateCluster, type PrivateCluster } from '../helpers/private-cluster.js'
import { buildApp, registrationError } from '../helpers/app.js'
import { needsPrivateCluster } from '../helpers/engine.js'
import { ConnectionError } from '../../lib/index.js'

const t = fileTest()

// The helper itself: passwords are really checked, TLS works, and stop/start keeps port and data.
const binaries = needsPrivateCluster('a private cluster')
const tls = { skip: binaries.skip !== false ? binaries.skip : !hasOpenssl() && 'openssl is missing' }
let cluster: PrivateCluster
t.before(async () => { if (binaries.skip === false) cluster = await startPrivateCluster(t) })

t.test('two clusters of one run are separate servers from one initdb', binaries, async t => {
  const other = await startPrivateCluster(t, { ssl: false })
  t.not(other.port, cluster.port)
  await other.adminQuery('CREATE TABLE only_here (x int)')
  t.same(await cluster.adminQuery("SELECT to_regclass('only_here')::text AS t"), [{ t: null }], 'a copy, not the same data directory')
  t.ok((await other.adminQuery('SELECT 1 AS one')).length, 'the same superuser password works on both')
})

t.test('checks passwords (scram-sha-256)', binaries, async t => {
  await cluster.adminQuery("CREATE ROLE probe LOGIN PASSWORD 'right'")
  const ok = new pg.Client({ connectionString: cluster.urlFor('postgres', 'probe', 'right') })
  await ok.connect()
  t.same((await ok.query('SELECT current_user AS u')).rows, [{ u: 'probe' }])
  await ok.end()
  const wrong = new pg.Client({ connectionString: cluster.urlFor('postgres', 'probe', 'wrong') })
  const err = await wrong.connect().then(() => undefined, (e: unknown) => e)
  t.equal((err as { code?: string }).code, '28P01')
})

t.test('TLS is on when openssl is available', tls, async t => {
  const client = new pg.Client({ connectionString: cluster.url, ssl: { rejectUnauthorized: false } })
  await client.connect()
  t.same((await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows, [{ ssl: true }])
  await client.end()
})

t.test('stop and start keep the port and the data', binaries, async t => {
  const port = cluster.port
  await cluster.adminQuery('CREATE TABLE kept (x int)')
  await cluster.stop()
  const refused = await cluster.adminQuery('SELECT 1').then(() => undefined, (e: unknown) => e)
  t.equal((refused as { code?: string }).code, 'ECONNREFUSED')
  await cluster.start()
  t.equal(cluster.port, port)
  t.same(await cluster.adminQuery("SELECT to_regclass('kept')::text AS t"), [{ t: 'kept' }])
})

t.test('pgvector is available', binaries, async t => {
  await cluster.adminQuery('CREATE EXTENSION IF NOT EXISTS vector')
  t.same(await cluster.adminQuery("SELECT '[1,2]'::vector::text AS v"), [{ v: '[1,2]' }])
})

t.test('the plugin follows sslmode: require encrypts, verify-full checks the certificate', tls, async t => {
  const url = (sslmode: string): string => `${cluster.urlFor('postgres')}?sslmode=${sslmode}`
  const app = await buildApp(t, { connectionString: url('require') })
  const [rows] = await app.db.sequelize.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
  t.same(rows, [{ ssl: true }], 'the connection is encrypted')
  const err = await registrationError({ connectionString: url('verify-full'), connectRetry: false })
  t.type(err, ConnectionError, 'a self-signed certificate is refused under verify-full')
  t.match(err.message, /certificate/i)
})
