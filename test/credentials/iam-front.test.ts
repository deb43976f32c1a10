import { type Test } from 'tap'
import { fileTest } from '../helpers/file-test.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { QueryTypes } from 'sequelize'
import { needsServer } from '../helpers/engine.js'
import { hasOpenssl } from '../helpers/private-cluster.js'
import { issueServerCertificate, type ServerCertificate } from '../helpers/topology.js'
import { fixClock, startIamFront, verifyIamToken, type IamFront } from '../helpers/iam-front.js'
import { buildApp, freshDatabase, registrationError } from '../helpers/app.js'
import { ConnectionError } from '../../lib/index.js'

const t = fileTest()

// IAM authentication end to end: the plugin signs a token per new connection and logs in through
// a PostgreSQL-protocol front that checks it the way RDS does (TLS, cleartext password, SigV4
// recomputed with the keys IAM holds, 15-minute window on the front's clock), then pipes to the
// real server. The socket goes to localhost (a certificate from the test's CA, verify-full); the
// token is signed for the RDS endpoint, as through a tunnel (`iamAuth: { hostname, port }`).
const server = needsServer('the IAM front pipes accepted logins to the PostgreSQL server')
const skip = server.skip !== false ? server.skip : hasOpenssl() ? false : 'needs openssl for the front\'s TLS certificate'
const endpoint = { hostname: 'coach.c9akciq32.eu-west-1.rds.amazonaws.com', port: 5432 }
const region = 'eu-west-1'
const keys = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
let cert: ServerCertificate
let database: string

t.before(async () => {
  if (skip !== false) return
  cert = await issueServerCertificate(t, ['localhost'])
  database = new URL((await freshDatabase(t)).url).pathname.slice(1)
})

/** The standard AWS chain's environment credentials and the front's CA, for this test only. */
function awsEnvironment (t: Test, secretAccessKey = keys.secretAccessKey): void {
  const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'PGSSLROOTCERT']
  const before = Object.fromEntries(names.map(n => [n, process.env[n]]))
  t.teardown(() => {
    for (const n of names) {
      if (before[n] === undefined) delete process.env[n]
      else process.env[n] = before[n]
    }
  })
  delete process.env.AWS_SESSION_TOKEN
  delete process.env.AWS_PROFILE
  process.env.AWS_ACCESS_KEY_ID = keys.accessKeyId
  process.env.AWS_SECRET_ACCESS_KEY = secretAccessKey
  process.env.PGSSLROOTCERT = cert.caFile
}

async function front (t: Test, now: () => number): Promise<IamFront> {
  return await startIamFront(t, { endpoint, region, keys, tls: cert, now })
}

const options = (front: IamFront, pool: { max: number, idle?: number }): Record<string, unknown> => ({
  connectionString: `postgres://postgres@localhost:${front.port}/${database}?sslmode=verify-full`,
  iamAuth: endpoint,
  region,
  pool,
  connectRetry: { attempts: 1 }
})

t.test('the plugin logs in through the IAM front; every new connection presents a token signed when it connects', { skip }, async t => {
  awsEnvironment(t)
  const clock = fixClock(t, Date.now())
  const iam = await front(t, clock.now)
  const app = await buildApp(t, options(iam, { max: 4 }) as never)
  const { sequelize } = app.db
  const [row] = await sequelize.query<{ ssl: boolean, user: string }>('SELECT current_user AS user, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl', { type: QueryTypes.SELECT })
  t.same(row, { user: 'postgres', ssl: false }, 'queries reach the real server as the startup user (the front to server hop is the loopback pipe)')
  // Concurrent queries make the pool open all its connections; the clock moves a second between
  // batches, so each connection's token carries the time it was signed.
  const pids = new Set<number>()
  for (let batch = 0; batch < 3; batch++) {
    clock.advance(1000)
    const rows = await Promise.all(Array.from({ length: 8 }, async () => await sequelize.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)', { type: QueryTypes.SELECT })))
    for (const [r] of rows) pids.add(r.pid)
  }
  t.ok(pids.size >= 2, `queries ran on ${pids.size} connections`)
  t.ok(iam.seen.length >= pids.size, `${iam.seen.length} logins through the front for ${pids.size} connections`)
  t.same(iam.seen.filter(s => !s.accepted), [], 'the front accepted every token')
  t.ok(iam.seen.every(s => s.signedAt === Math.floor(s.receivedAt / 1000) * 1000), 'each token was signed at the moment its connection logged in, not reused')
  t.ok(iam.seen.every(s => s.user === 'postgres' && s.token.startsWith(`${endpoint.hostname}:${endpoint.port}/?`)), 'signed for the RDS endpoint and the startup user')
})

t.test('when the clock moves past 15 minutes, new connections get newly signed tokens and no request fails', { skip }, async t => {
  awsEnvironment(t)
  const clock = fixClock(t, Date.now())
  const iam = await front(t, clock.now)
  const app = await buildApp(t, options(iam, { max: 6, idle: 1000 }) as never)
  const { sequelize } = app.db
  const failures: unknown[] = []
  let queries = 0
  let concurrency = 2
  let stop = false
  const worker = async (id: number): Promise<void> => {
    while (!stop) {
      if (id >= concurrency) { await sleep(10); continue }
      try {
        await sequelize.query('SELECT pg_sleep(0.01)', { type: QueryTypes.SELECT })
        queries++
      } catch (err) {
        failures.push(err)
      }
    }
  }
  const workers = Array.from({ length: 6 }, async (_, id) => { await worker(id) })
  for (let i = 0; i < 3000 && queries < 50 && failures.length === 0; i++) await sleep(10)
  const before = iam.seen.length
  const oldToken = iam.seen[0].token
  clock.advance(16 * 60_000)
  const changedAt = clock.now()
  // One request at a time for a moment: the pool's reaper closes the connections left idle, whose
  // idle time the clock jump used up. Then more concurrent requests than open connections: the
  // pool opens new ones, each with a token signed now.
  concurrency = 1
  await sleep(1500)
  concurrency = 6
  const atChange = queries
  // Bounded, so a pool that never reconnects fails the assertions below instead of hanging.
  for (let i = 0; i < 3000 && failures.length === 0 && (queries < atChange + 200 || iam.seen.length < before + 3); i++) await sleep(10)
  stop = true
  await Promise.all(workers)
  const after = iam.seen.slice(before)
  t.equal(failures.length, 0, `${queries} queries across the clock change, ${failures.length} failed ${failures.length > 0 ? String(failures[0]) : ''}`)
  t.ok(after.length >= 3, `${after.length} new connections after the change`)
  t.same(after.filter(s => !s.accepted), [], 'the front accepted every new token')
  t.ok(after.every(s => s.signedAt >= changedAt - 1000), 'each was signed after the change, none reused from before')
  t.match(await verifyIamToken(oldToken, 'postgres', { endpoint, region, keys, now: clock.now }), /expired/, 'a token from before the change would have been refused as expired')
})

t.test('a wrong secret key fails registration with our auth error and the server\'s refusal as cause', { skip }, async t => {
  awsEnvironment(t, 'not-the-secret-key-iam-knows')
  const iam = await front(t, () => Date.now())
  const err = await registrationError(options(iam, { max: 2 }))
  t.type(err, ConnectionError)
  t.equal((err as ConnectionError).code, 'ERR_COACH_DB_AUTH')
  t.match(err.message, /refused the IAM token for user "postgres"/)
  t.match(err.message, /rds-db:connect/, 'the message says what to check')
  t.notMatch(err.message, /X-Amz-Signature/, 'the token is not in the message')
  // Start-up verifies with a connection of its own: the cause is pg's ErrorResponse itself.
  const cause = (err as Error & { cause?: { code?: string, message?: string } }).cause
  t.equal(cause?.code, '28P01', 'the driver error is the cause')
  t.match(cause?.message, /signature does not match/, 'the server\'s reason is in it')
  t.ok(iam.seen.length >= 1 && iam.seen.length <= 2, `${iam.seen.length} logins tried (a fresh token once more), then it stops`)
  t.ok(iam.seen.every(s => !s.accepted && s.reason === 'the signature does not match'))
})
