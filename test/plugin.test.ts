import { fileTest } from './helpers/file-test.js'
import net from 'node:net'
import Fastify from 'fastify'
import pg from 'pg'
import { Sequelize } from 'sequelize-typescript'
import dbPlugin, { ConnectionError, OptionsError } from '../lib/index.js'
import { buildApp, freshDatabase, registrationError, serverOf } from './helpers/app.js'
import { captureLogs } from './helpers/log-capture.js'
import { needsServer } from './helpers/engine.js'
import { tableNames } from './helpers/pg.js'
import { startGate, type TcpGate } from './helpers/tcp-proxy.js'
import { QueryTypes } from 'sequelize'
import { createPgDriver, driverOpener, endHandedOver, handToPool, type DedicatedConnection } from '../lib/connection/pg-driver.js'
import { staticCredentials } from '../lib/credentials/provider.js'
import { parseConnectionString } from '../lib/credentials/target.js'
import { silentLogger } from '../lib/logger.js'

const t = fileTest()

async function openConnections (database: string): Promise<number> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' })
  await client.connect()
  try {
    const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'fastify-coach-db'", [database])
    return rows[0].n
  } finally {
    await client.end()
  }
}

t.test('decorates fastify.db and does not migrate unless asked', async t => {
  const db = await freshDatabase(t, { migrated: false })
  const app = await buildApp(t, { connectionString: db.url })
  t.ok(app.hasDecorator('db'))
  t.same(Object.keys(app.db.models).sort(), ['Conversation', 'Message', 'Session', 'User'])
  t.same(await app.db.migrator.pending(), ['20261123000000_initial_schema'])
  t.same(await tableNames(db.url), [], 'no table was created, not even the meta table')
})

t.test('migrate: true applies the schema during startup, and logs it', async t => {
  const db = await freshDatabase(t, { migrated: false })
  const logs = captureLogs('info')
  const app = await buildApp(t, { connectionString: db.url, migrate: true }, logs.logger)
  t.same(await tableNames(db.url), ['conversations', 'messages', 'schema_migrations', 'sessions', 'users'])
  t.same(await app.db.migrator.pending(), [])
  t.match(logs.text(), /applied 1 migration/)
  t.match(logs.text(), /credentials from connectionString option/)
})

t.test('DB_MIGRATE=true turns migration on; migrate: false overrides it', async t => {
  process.env.DB_MIGRATE = 'true'
  t.teardown(() => { delete process.env.DB_MIGRATE })
  const off = await freshDatabase(t, { migrated: false })
  await buildApp(t, { connectionString: off.url, migrate: false })
  t.same(await tableNames(off.url), [], 'nothing was migrated')
  const on = await freshDatabase(t, { migrated: false })
  await buildApp(t, { connectionString: on.url })
  t.same(await tableNames(on.url), ['conversations', 'messages', 'schema_migrations', 'sessions', 'users'])
})

t.test('DATABASE_URL is used when no connection option is given', async t => {
  const db = await freshDatabase(t)
  process.env.DATABASE_URL = db.url
  t.teardown(() => { delete process.env.DATABASE_URL })
  const logs = captureLogs('info')
  const app = await buildApp(t, {}, logs.logger)
  t.equal(await app.db.models.User.count(), 0)
  t.match(logs.text(), /credentials from DATABASE_URL/)
})

t.test('app.close() closes every connection the plugin opened', needsServer('counts connections in pg_stat_activity'), async t => {
  const db = await freshDatabase(t)
  const app = Fastify()
  await app.register(dbPlugin, { connectionString: db.url, pool: { max: 5, min: 0, acquire: 30_000, idle: 10_000 } })
  await app.ready()
  await Promise.all(Array.from({ length: 5 }, async () => await app.db.sequelize.query('SELECT pg_sleep(0.05)')))
  t.ok(await openConnections(db.name) > 0, 'connections are open while the app runs')
  await app.close()
  t.equal(await openConnections(db.name), 0, 'none left after close')
})

/** `url` with its host and port replaced by the gate's. */
function through (gate: TcpGate, url: string): string {
  const behind = new URL(url)
  behind.hostname = '127.0.0.1'
  behind.port = String(gate.port)
  return behind.toString()
}

t.test('start-up and the first queries use one connection: the one that verified the database becomes the pool\'s first', needsServer('a TCP gate in front of the server'), async t => {
  const db = await freshDatabase(t)
  // Any connection after the first is held back: a query that needed one would wait.
  const gate = await startGate(serverOf(db.url), { free: 1 })
  t.teardown(gate.close)
  const logs = captureLogs('info')
  const app = await buildApp(t, { connectionString: through(gate, db.url), migrate: true }, logs.logger)
  t.equal(gate.accepted, 1, 'ready after one connection: it verified the database and read the meta table')
  t.match(logs.text(), /database schema is up to date/)
  const counted = await Promise.race([app.db.models.User.count(), new Promise(resolve => setTimeout(resolve, 5_000, 'still waiting after 5 s'))])
  t.equal(counted, 0, 'the first query ran on it')
  // Sequelize's own type parsers apply on the handed-over session (its range parser here; pg alone returns '[1,5)').
  const [row] = await app.db.sequelize.query<{ r: unknown }>('SELECT int4range(1, 5) AS r', { type: QueryTypes.SELECT })
  t.same(row?.r, [{ value: 1, inclusive: true }, { value: 5, inclusive: false }])
  // Also for a query object of pg's own (what pg-query-stream and pg-cursor build) on a transaction's connection.
  const viaQuery = await app.db.sequelize.transaction(async (transaction) => {
    const connection = (transaction as unknown as { connection: { query: (query: unknown) => unknown } }).connection
    return await new Promise<unknown[]>((resolve, reject) => {
      connection.query(new pg.Query({ text: 'SELECT int4range(1, 5) AS r' }, undefined, (err: Error | undefined, result: { rows: unknown[] }) => { if (err !== undefined && err !== null) reject(err); else resolve(result.rows) }))
    })
  })
  t.same(viaQuery, [{ r: [{ value: 1, inclusive: true }, { value: 5, inclusive: false }] }])
  t.equal(gate.accepted, 1, 'still one connection')
  t.notMatch(logs.text(), /"level":[45]0/, 'nothing was logged as a warning or an error')
  gate.open()
})

t.test('with pending migrations the pool is open by ready: start-up\'s connection is closed, not kept aside beside it', needsServer('counts connections in pg_stat_activity'), async t => {
  const db = await freshDatabase(t, { migrated: false })
  const app = await buildApp(t, { connectionString: db.url, migrate: true, pool: { max: 1, min: 0, acquire: 30_000, idle: 10_000 } })
  t.equal(await app.db.models.User.count(), 0)
  // The lock's and start-up's connections end just after; what stays is the pool's one.
  let open = await openConnections(db.name)
  for (let i = 0; i < 100 && open > 1; i++) {
    await new Promise(resolve => setTimeout(resolve, 20))
    open = await openConnections(db.name)
  }
  t.equal(open, 1, 'one connection (pool.max 1) while the app runs')
})

t.test('a session handed to the pool that died before the pool took it is not used: the pool logs in again', needsServer('terminates a backend from another session'), async t => {
  const db = await freshDatabase(t)
  const { target } = parseConnectionString(db.url, 'test URL')
  const config = { host: target.host, port: target.port, database: target.database }
  const driver = createPgDriver({ credentials: staticCredentials(target.user, undefined), queryTimeoutMs: 0, log: silentLogger() })
  const first = await driverOpener(driver, config)()
  const pid = (await first.query('SELECT pg_backend_pid() AS pid')).rows[0]?.pid
  t.ok(handToPool(first), 'handed over')
  const taker = new driver.Client(config)
  await taker.connect()
  t.equal((taker as unknown as { processID: number }).processID, pid, 'the next connection is that session')
  t.ok(handToPool(taker as unknown as DedicatedConnection), 'handed over again')
  const admin = new pg.Client({ connectionString: db.url })
  await admin.connect()
  t.teardown(() => admin.end())
  await admin.query('SELECT pg_terminate_backend($1)', [pid])
  for (let i = 0; i < 100 && (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount !== 0; i++) await new Promise(resolve => setTimeout(resolve, 20))
  // The client sees the socket close just after the backend exits.
  await new Promise(resolve => setTimeout(resolve, 200))
  const next = new driver.Client(config)
  await next.connect()
  t.teardown(() => next.end())
  t.not((next as unknown as { processID: number }).processID, pid, 'a new session')
  t.same((await next.query('SELECT 1 AS one') as { rows: unknown[] }).rows, [{ one: 1 }])
  await endHandedOver(driver)
})

t.test('a parked session whose server ended it, seen before its socket closed, is dropped without an unhandled error', needsServer('terminates a backend from another session'), async t => {
  const db = await freshDatabase(t)
  const gate = await startGate(serverOf(db.url), { free: 100, closeDelayMs: 1_000 })
  t.teardown(gate.close)
  const { target } = parseConnectionString(db.url, 'test URL')
  const config = { host: '127.0.0.1', port: gate.port, database: target.database }
  const driver = createPgDriver({ credentials: staticCredentials(target.user, undefined), queryTimeoutMs: 0, log: silentLogger() })
  const first = await driverOpener(driver, config)()
  const pid = (await first.query('SELECT pg_backend_pid() AS pid')).rows[0]?.pid
  t.ok(handToPool(first))
  const admin = new pg.Client({ connectionString: db.url })
  await admin.connect()
  t.teardown(() => admin.end())
  await admin.query('SELECT pg_terminate_backend($1)', [pid])
  // The server's goodbye (57P01) has arrived; the socket closes a second later.
  await new Promise(resolve => setTimeout(resolve, 200))
  const next = new driver.Client(config)
  await next.connect()
  t.teardown(() => next.end())
  t.not((next as unknown as { processID: number }).processID, pid, 'a new session')
  // Past the delayed close of the dropped one: an 'error' nobody listened to would have thrown by now.
  await new Promise(resolve => setTimeout(resolve, 1_200))
  t.same((await next.query('SELECT 1 AS one') as { rows: unknown[] }).rows, [{ one: 1 }])
})

t.test('closing at once after ready leaves no connection open (the pool\'s first one may still be opening)', needsServer('counts connections in pg_stat_activity'), async t => {
  const db = await freshDatabase(t)
  for (const migrate of [true, false, true]) {
    const app = Fastify()
    await app.register(dbPlugin, { connectionString: db.url, migrate })
    await app.ready()
    await app.close()
    t.equal(await openConnections(db.name), 0, `none left (migrate: ${migrate})`)
  }
})

t.test('a Sequelize passed in is used and left open; DATABASE_URL is then not read', async t => {
  const db = await freshDatabase(t)
  process.env.DATABASE_URL = 'pglite://memory'
  t.teardown(() => { delete process.env.DATABASE_URL })
  const sequelize = new Sequelize(db.url, { logging: false, repositoryMode: true, dialectOptions: { application_name: 'fastify-coach-db' } })
  t.teardown(() => sequelize.close())
  const logs = captureLogs('info')
  const app = Fastify({ logger: logs.logger })
  await app.register(dbPlugin, { sequelize })
  await app.ready()
  t.equal(app.db.sequelize, sequelize)
  t.notMatch(logs.text(), /PGlite/, 'no embedded engine was started for the DATABASE_URL')
  await app.db.models.User.create({ email: 'owned@example.com', name: 'Owned', role: 'coach' })
  await app.close()
  const [rows] = await sequelize.query('SELECT email FROM users')
  t.same(rows, [{ email: 'owned@example.com' }], 'still usable after the app closed')
})

t.test('bad options are rejected with a message that says what to do', async t => {
  const savedUrl = process.env.DATABASE_URL
  delete process.env.DATABASE_URL
  t.teardown(() => { if (savedUrl !== undefined) process.env.DATABASE_URL = savedUrl })
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown key', { conectionString: 'postgres://x@h/db' }, /Unknown option "conectionString"\. Did you mean "connectionString"\?/],
    ['wrong type', { connectionString: 42 }, /Option "connectionString" must be a non-empty string \(got 42\)/],
    ['migrate not boolean', { connectionString: 'postgres://x@h/db', migrate: 'yes' }, /Option "migrate" must be true or false \(got a string\)/],
    ['pool not object', { connectionString: 'postgres://x@h/db', pool: 5 }, /Option "pool" must be an object/],
    ['pool min > max', { connectionString: 'postgres://x@h/db', pool: { max: 2, min: 5 } }, /"pool\.min" \(5\) must not exceed "pool\.max" \(2\)/],
    ['pool unknown key', { connectionString: 'postgres://x@h/db', pool: { maximum: 2 } }, /Unknown option "pool\.maximum"/],
    ['no connection', {}, /No database configured\. Pass \{ connectionString/],
    ['not an object', 'postgres://x@h/db', /options must be an object/],
    ['both sequelize and url', { connectionString: 'postgres://x@h/db', sequelize: new Sequelize('postgres://x@h/db', { logging: false }) }, /either "sequelize" or "connectionString"/],
    ['sequelize not an instance', { sequelize: {} }, /must be a Sequelize instance from sequelize-typescript/],
    ['malformed URL', { connectionString: 'postgres://user:hunter2@:5432:bad' }, /connectionString option is not a valid URL/],
    ['wrong scheme', { connectionString: 'mysql://user:hunter2@localhost/db' }, /must start with postgres:\/\//],
    ['no database', { connectionString: 'postgres://user:hunter2@localhost:5432' }, /names no database/],
    ['retry attempts', { connectionString: 'postgres://x@h/db', connectRetry: { attempts: 0 } }, /"connectRetry\.attempts" must be a whole number >= 1/]
  ]
  for (const [name, options, message] of cases) {
    const err = await registrationError(options)
    t.type(err, OptionsError, name)
    t.equal((err as OptionsError).code, 'ERR_COACH_DB_OPTIONS', name)
    t.match(err.message, message, name)
    t.notMatch(`${err.message} ${String((err as { cause?: unknown }).cause)}`, /hunter2/, `${name}: no password in the message`)
  }
})

t.test('an unreachable database fails within the retry budget, naming host and port but not the password', async t => {
  const logs = captureLogs('info')
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  const err = await (async () => {
    await app.register(dbPlugin, { connectionString: 'postgres://app:s3cr3t-pw@127.0.0.1:1/coach', connectRetry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 40 } })
    await app.ready()
  })().then(() => undefined, (e: unknown) => e)
  t.type(err, ConnectionError)
  t.equal((err as ConnectionError).code, 'ERR_COACH_DB_CONNECTION')
  t.match((err as Error).message, /Could not connect to PostgreSQL at 127\.0\.0\.1:1 \(database "coach"\) after 3 attempts/)
  t.ok((err as Error).cause, 'the driver error is the cause')
  t.equal(logs.lines.filter(line => line.includes('retrying')).length, 2, 'two retries were logged')
  t.notMatch(`${(err as Error).message} ${logs.text()}`, /s3cr3t-pw/)
})

t.test('a missing database is reported at once, not retried', async t => {
  const err = await registrationError({ connectionString: 'postgres://postgres@127.0.0.1:5432/coach_db_that_does_not_exist' })
  t.type(err, ConnectionError)
  t.equal((err as ConnectionError).code, 'ERR_COACH_DB_NO_DATABASE')
  t.match(err.message, /Database "coach_db_that_does_not_exist" does not exist on 127\.0\.0\.1:5432\. Create it/)
})

t.test('queries are logged at debug with their duration, never with the password', async t => {
  const db = await freshDatabase(t)
  const logs = captureLogs('debug')
  const url = db.url.replace('postgres@', 'postgres:unused-pw@')
  const app = await buildApp(t, { connectionString: url }, logs.logger)
  await app.db.models.User.count()
  const queryLine = logs.lines.map(line => JSON.parse(line)).find(entry => /SELECT count/.test(entry.msg))
  t.ok(queryLine, 'the query was logged')
  t.equal(queryLine.level, 20, 'at debug')
  t.type(queryLine.durationMs, 'number')
  t.notMatch(logs.text(), /unused-pw/)
})

t.test('a server that accepts connections but never answers fails after connectTimeoutMs per attempt, not never', async t => {
  const sockets = new Set<net.Socket>()
  const silent = net.createServer(socket => { sockets.add(socket) })
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise(resolve => silent.close(resolve))
  })
  const { port } = silent.address() as net.AddressInfo
  const err = await registrationError({ connectionString: `postgres://app:quiet-pw@127.0.0.1:${port}/coach`, connectTimeoutMs: 200, connectRetry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 } })
  t.type(err, ConnectionError)
  t.match(err.message, new RegExp(`Could not connect to PostgreSQL at 127\\.0\\.0\\.1:${port} \\(database "coach"\\) after 2 attempts`))
  t.match(err.message, /timeout/i)
  t.notMatch(err.message, /quiet-pw/)
})
