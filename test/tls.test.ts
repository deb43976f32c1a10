import { type Test } from 'tap'
import { fileTest } from './helpers/file-test.js'
import { hasPostgresBinaries } from './helpers/engine.js'
import { startPrivateCluster, type PrivateCluster } from './helpers/private-cluster.js'
import { makeOtherCa, serveCertificateFromOwnCa, type TestCa } from './helpers/topology.js'
import { buildApp, registrationError } from './helpers/app.js'
import { rdsCaBundle, tlsOptionsFor } from '../lib/connection/tls.js'
import { effectiveSslMode, isRdsHost } from '../lib/credentials/ssl-mode.js'
import { ConnectionError, OptionsError } from '../lib/index.js'

const t = fileTest()

// TLS as RDS serves it: a server certificate signed by a CA, checked by the client. Here the CA
// is one the test makes, so verify-full can pass for real and fail for real.
const skip = hasPostgresBinaries ? false : 'needs the PostgreSQL server binaries (initdb, pg_ctl)'
let cluster: PrivateCluster
let ca: TestCa
let otherCa: TestCa
let password: string

t.before(async () => {
  if (skip !== false) return
  cluster = await startPrivateCluster(t, { ssl: true })
  ca = await serveCertificateFromOwnCa(t, cluster, ['localhost'])
  otherCa = await makeOtherCa(t)
  password = decodeURIComponent(new URL(cluster.url).password)
})

const url = (host: string, sslmode: string): string => `postgres://postgres:${encodeURIComponent(password)}@${host}:${cluster.port}/postgres?sslmode=${sslmode}`

function withRootCert (t: Test, file: string | undefined): void {
  const before = process.env.PGSSLROOTCERT
  if (file === undefined) delete process.env.PGSSLROOTCERT
  else process.env.PGSSLROOTCERT = file
  t.teardown(() => {
    if (before === undefined) delete process.env.PGSSLROOTCERT
    else process.env.PGSSLROOTCERT = before
  })
}

t.test('verify-full with the right CA and host name connects over TLS', { skip }, async t => {
  withRootCert(t, ca.caFile)
  const app = await buildApp(t, { connectionString: url('localhost', 'verify-full'), connectRetry: { attempts: 1 } })
  const [rows] = await app.db.sequelize.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
  t.same(rows, [{ ssl: true }])
})

t.test('verify-full with another CA fails with a clear TLS error', { skip }, async t => {
  withRootCert(t, otherCa.caFile)
  const err = await registrationError({ connectionString: url('localhost', 'verify-full'), connectRetry: { attempts: 1 } })
  t.type(err, ConnectionError)
  t.equal((err as ConnectionError).code, 'ERR_COACH_DB_TLS')
  t.match(err.message, /certificate/i)
  t.match(err.message, /PGSSLROOTCERT|sslmode/)
  t.notMatch(err.message, password)
  t.ok((err as Error & { cause?: unknown }).cause, 'the TLS error is the cause')
})

t.test('verify-full with a host name the certificate does not name fails', { skip }, async t => {
  withRootCert(t, ca.caFile)
  const err = await registrationError({ connectionString: url('127.0.0.1', 'verify-full'), connectRetry: { attempts: 1 } })
  t.equal((err as ConnectionError).code, 'ERR_COACH_DB_TLS')
  t.match(err.message, /host name|does not match|127\.0\.0\.1/i)
})

t.test('verify-ca accepts the right CA whatever the host name', { skip }, async t => {
  withRootCert(t, ca.caFile)
  const app = await buildApp(t, { connectionString: url('127.0.0.1', 'verify-ca'), connectRetry: { attempts: 1 } })
  const [rows] = await app.db.sequelize.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
  t.same(rows, [{ ssl: true }])
})

t.test('no setting falls back to plain text', async t => {
  t.throws(() => effectiveSslMode('db.example.org', 'prefer', 'DATABASE_URL'), OptionsError)
  t.throws(() => effectiveSslMode('db.example.org', 'allow', 'DATABASE_URL'), OptionsError)
  t.throws(() => effectiveSslMode('db.example.org', 'verify_full', 'DATABASE_URL'), /unknown sslmode/)
})

t.test('a server without TLS is refused when TLS is asked for, not used in plain text', { skip }, async t => {
  const plain = await startPrivateCluster(t, { ssl: false })
  const plainUrl = plain.url + '?sslmode=require'
  const err = await registrationError({ connectionString: plainUrl, connectRetry: { attempts: 1 } })
  t.type(err, ConnectionError)
  t.match(err.message, /does not support SSL|TLS/i)
})

t.test('RDS endpoints are verified by default against the bundled RDS CAs', async t => {
  for (const host of ['mydb.c9akciq32.eu-west-1.rds.amazonaws.com', 'cluster.cluster-ro-abc.us-east-1.rds.amazonaws.com', 'proxy.proxy-abc.us-east-1.rds.amazonaws.com', 'db.abc.cn-north-1.rds.amazonaws.com.cn', 'DB.ABC.US-EAST-1.RDS.AMAZONAWS.COM.']) {
    t.ok(isRdsHost(host), host)
    t.equal(effectiveSslMode(host, undefined, 'DATABASE_URL'), 'verify-full', `${host} defaults to verify-full`)
  }
  for (const host of ['localhost', 'db.example.org', 'rds.amazonaws.com.evil.org', 'notrds.amazonaws.com']) {
    t.notOk(isRdsHost(host), host)
  }
  t.equal(effectiveSslMode('db.example.org', undefined, 'DATABASE_URL'), 'disable')
  t.equal(effectiveSslMode('db.example.org', undefined, 'secret', 'require'), 'require')
  t.equal(effectiveSslMode('mydb.abc.eu-west-1.rds.amazonaws.com', 'require', 'DATABASE_URL'), 'require', 'an explicit sslmode is the override')
  const bundle = rdsCaBundle()
  t.ok(bundle.length > 100, `${bundle.length} RDS CA certificates bundled`)
  t.ok(bundle.every(pem => pem.includes('BEGIN CERTIFICATE')))
  const options = tlsOptionsFor('mydb.abc.eu-west-1.rds.amazonaws.com', 'verify-full', {})
  t.match(options, { rejectUnauthorized: true, servername: 'mydb.abc.eu-west-1.rds.amazonaws.com' })
  t.equal((options as { ca: string[] }).ca, bundle)
  t.equal(tlsOptionsFor('localhost', 'disable', {}), false)
  t.same(tlsOptionsFor('localhost', 'require', {}), { rejectUnauthorized: false })
})
