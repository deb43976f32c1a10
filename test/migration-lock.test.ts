import { type Test } from 'tap'
import { fileTest } from './helpers/file-test.js'
import pg from 'pg'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import dbPlugin, { MigrationError, Migrator } from '../lib/index.js'
import { Sequelize } from 'sequelize-typescript'
import { freshDatabase } from './helpers/app.js'
import { captureLogs } from './helpers/log-capture.js'
import { sequelizeFor, testMigrations } from './helpers/migrator.js'
import { queryRows } from './helpers/pg.js'
import { needsServer } from './helpers/engine.js'

const t = fileTest()

// Replicas contending for the advisory lock need a server with separate sessions; PGlite has one.
const server = needsServer('replicas contending for the migration lock: PGlite is one session')

const SLOW = testMigrations('slow')

// The migration lock is a bigint advisory key (objsubid 1); the slow migration's gate is a two-int key (2).
const MIGRATION_LOCK = "locktype = 'advisory' AND granted AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"

async function lockIsHeld (url: string): Promise<boolean> {
  const rows = await queryRows(url, `SELECT count(*)::int AS n FROM pg_locks WHERE ${MIGRATION_LOCK}`)
  return (rows[0]?.n as number) > 0
}

/** Closes the slow migration's gate: it waits, holding the migration lock, until `open()`. */
async function closedGate (t: Test, url: string): Promise<{ open: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {}) // the kill tests terminate it with the rest
  await client.connect()
  await client.query('SELECT pg_advisory_lock(2026, 1203)')
  const open = async (): Promise<void> => { await client.end().catch(() => {}) }
  t.teardown(open)
  return { open }
}

async function untilLockHeld (url: string): Promise<void> {
  for (let i = 0; i < 200 && !(await lockIsHeld(url)); i++) await sleep(20)
}

t.test('eight replicas starting together run the initial migration exactly once', server, async t => {
  const db = await freshDatabase(t, { migrated: false })
  const logs = Array.from({ length: 8 }, () => captureLogs('info'))
  // Seven wait for the lock as long as the migration takes, which on a busy machine can pass
  // Fastify's default pluginTimeout (10 s): replicas that migrate at start configure more.
  const apps = logs.map(log => Fastify({ logger: log.logger, pluginTimeout: 60_000 }))
  t.teardown(async () => { await Promise.all(apps.map(async app => await app.close())) })
  const results = await Promise.allSettled(apps.map(async app => {
    await app.register(dbPlugin, { connectionString: db.url, migrate: true, pool: { max: 3 } })
    await app.ready()
  }))
  t.same(results.map(r => r.status === 'fulfilled' ? r.status : String((r as PromiseRejectedResult).reason)), Array(8).fill('fulfilled'), 'all eight became ready')
  const appliers = logs.filter(log => /applied 1 migration/.test(log.text()))
  t.equal(appliers.length, 1, 'one replica applied it')
  t.equal(logs.filter(log => /database schema is up to date/.test(log.text())).length, 7, 'the others found it done')
  const meta = await queryRows(db.url, 'SELECT name FROM schema_migrations')
  t.same(meta, [{ name: '20261123000000_initial_schema' }])
  for (const app of apps) t.equal(await app.db.models.User.count(), 0)
})

t.test('while a slow migration holds the lock: wait waits, skip starts, fail fails', server, async t => {
  const db = await freshDatabase(t, { migrated: false })
  const gate = await closedGate(t, db.url)
  const holder = new Migrator(sequelizeFor(t, db.url), { migrationsDir: SLOW })
  const holding = holder.up()
  await untilLockHeld(db.url)

  const skipLogs = captureLogs('info')
  const skipper = Fastify({ logger: skipLogs.logger })
  t.teardown(() => skipper.close())
  await skipper.register(dbPlugin, { connectionString: db.url, migrationsDir: SLOW, migrate: true, migrationLock: 'skip' })
  await skipper.ready()
  t.match(skipLogs.text(), /is migrating this database; starting without migrating/, 'skip logs why and starts')
  t.same(await skipper.db.migrator.pending(), ['20261203000000_slow_table'], 'skip did not migrate')
  t.same(await new Migrator(sequelizeFor(t, db.url), { migrationsDir: SLOW, migrationLock: 'skip' }).up(), { applied: [], skipped: true }, 'up() says it stood aside')

  const failer = Fastify()
  t.teardown(() => failer.close())
  const failed = await (async () => {
    await failer.register(dbPlugin, { connectionString: db.url, migrationsDir: SLOW, migrate: true, migrationLock: 'fail' })
    await failer.ready()
  })().catch((e: unknown) => e)
  t.type(failed, MigrationError)
  t.equal((failed as MigrationError).code, 'ERR_COACH_DB_MIGRATION_LOCKED')
  t.match((failed as Error).message, /Another process \(PostgreSQL backend pid \d+\) holds the migration lock and migrationLock is 'fail'/)

  const impatient = new Migrator(sequelizeFor(t, db.url), { migrationsDir: SLOW, lockTimeout: 100 })
  const timedOut = await impatient.up().catch((e: unknown) => e)
  t.equal((timedOut as MigrationError).code, 'ERR_COACH_DB_MIGRATION_LOCKED')
  t.match((timedOut as Error).message, /waited 100 ms \(lockTimeout\)/)

  await gate.open()
  const waiter = new Migrator(sequelizeFor(t, db.url), { migrationsDir: SLOW })
  const waited = await waiter.up()
  t.same(await holding, { applied: ['20261203000000_slow_table'], skipped: false }, 'the holder applied it')
  t.same(waited, { applied: [], skipped: false }, 'the waiter waited, then found nothing left to do')
  t.notOk(await lockIsHeld(db.url), 'the lock is released')
})

t.test('a holder killed mid-migration leaves no partial schema, and the next start completes', server, async t => {
  const db = await freshDatabase(t, { migrated: false })
  await closedGate(t, db.url)
  const holder = new Migrator(sequelizeFor(t, db.url), { migrationsDir: SLOW })
  const holding = holder.up().catch((e: unknown) => e)
  await untilLockHeld(db.url)
  await sleep(200)
  await queryRows(db.url, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')
  t.type(await holding, Error, 'the killed run fails')
  t.same(await queryRows(db.url, "SELECT to_regclass('public.slow_table') AS t"), [{ t: null }], 'its table was rolled back')
  t.same(await queryRows(db.url, 'SELECT name FROM schema_migrations'), [], 'no meta row')

  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(dbPlugin, { connectionString: db.url, migrationsDir: SLOW, migrate: true, lockTimeout: 5_000 })
  await app.ready()
  t.same(await app.db.migrator.pending(), [], 'the next start applied it')
})

t.test('the lock\'s session killed mid-migration: the migration is not recorded (ERR_COACH_DB_MIGRATION_LOCK_LOST)', server, async t => {
  const db = await freshDatabase(t, { migrated: false })
  const gate = await closedGate(t, db.url)
  const holder = new Migrator(sequelizeFor(t, db.url), { migrationsDir: SLOW })
  const holding = holder.up().catch((e: unknown) => e)
  await untilLockHeld(db.url)
  // Only the lock's own connection: the migration's transaction goes on, then finds the lock gone.
  const killed = await queryRows(db.url, `SELECT pg_terminate_backend(pid) AS killed FROM pg_locks WHERE ${MIGRATION_LOCK}`)
  t.same(killed, [{ killed: true }])
  await gate.open()
  const err = await holding
  t.type(err, MigrationError)
  t.equal((err as MigrationError).code, 'ERR_COACH_DB_MIGRATION_LOCK_LOST')
  t.match((err as Error).message, /The migration lock was lost/)
  t.same(await queryRows(db.url, "SELECT to_regclass('public.slow_table') AS t"), [{ t: null }], 'its table was rolled back')
  t.same(await queryRows(db.url, 'SELECT name FROM schema_migrations'), [], 'no meta row')
})

t.test('an app\'s own Sequelize: the lock\'s session killed mid-migration fails the run, not the process', server, async t => {
  // The lock's connection is then a plain pg.Client, idle while the migration runs on the pool:
  // pg reports its end as an 'error' event, which unheard is an uncaught exception.
  const db = await freshDatabase(t, { migrated: false })
  const gate = await closedGate(t, db.url)
  const sequelize = new Sequelize(db.url, { dialect: 'postgres', logging: false })
  t.teardown(async () => { await sequelize.close() })
  const holding = new Migrator(sequelize, { migrationsDir: SLOW }).up().catch((e: unknown) => e)
  await untilLockHeld(db.url)
  const killed = await queryRows(db.url, `SELECT pg_terminate_backend(pid) AS killed FROM pg_locks WHERE ${MIGRATION_LOCK}`)
  t.same(killed, [{ killed: true }])
  await sleep(200)
  await gate.open()
  const err = await holding
  t.equal((err as MigrationError).code, 'ERR_COACH_DB_MIGRATION_LOCK_LOST')
  t.same(await queryRows(db.url, 'SELECT name FROM schema_migrations'), [], 'no meta row')
})

t.test('migrationLock: false migrates without the lock; bad values are rejected', server, async t => {
  const db = await freshDatabase(t, { migrated: false })
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(dbPlugin, { connectionString: db.url, migrate: true, migrationLock: false })
  await app.ready()
  t.same(await app.db.migrator.pending(), [])
  const bad = Fastify()
  t.teardown(() => bad.close())
  const err = await bad.register(dbPlugin, { connectionString: db.url, migrationLock: 'later' as never }).then(() => undefined, (e: unknown) => e)
  t.match((err as Error).message, /Option "migrationLock" must be 'wait', 'skip', 'fail' or false/)
})
