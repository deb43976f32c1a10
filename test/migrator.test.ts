import { fileTest } from './helpers/file-test.js'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { Migrator } from '../lib/migrator/migrator.js'
import { MigrationError, OptionsError } from '../lib/errors.js'
import { freshDatabase } from './helpers/app.js'
import { sequelizeFor, testMigrations } from './helpers/migrator.js'
import { captureSql } from '../lib/migrator/capture-sql.js'
import { onPglite } from './helpers/engine.js'

const t = fileTest()

const BROKEN_DIR = fileURLToPath(new URL('./migrations/broken/', import.meta.url))

const db = await freshDatabase(t, { migrated: false })
const client = new pg.Client({ connectionString: db.url })
await client.connect()
t.teardown(() => client.end())
const sequelize = sequelizeFor(t, db.url)

t.test('a failing migration leaves neither its tables nor its meta row', async t => {
  const migrator = new Migrator(sequelize, { migrationsDir: BROKEN_DIR })
  const err = await migrator.up().catch((e: unknown) => e)
  t.type(err, MigrationError)
  const failure = err as MigrationError
  t.equal(failure.code, 'ERR_COACH_DB_MIGRATION')
  t.equal(failure.migration, '20261201000000_half_done')
  t.equal(failure.sqlState, '42P01', 'undefined_table')
  t.equal(failure.statement, 'SELECT * FROM table_that_does_not_exist')
  t.match(failure.message, /Migration 20261201000000_half_done \(up\) failed \[SQLSTATE 42P01\]/)
  t.ok(failure.cause, 'the driver error is the cause')

  const { rows: tables } = await client.query("SELECT to_regclass('public.half_done') AS t")
  t.equal(tables[0].t, null, 'the table it created was rolled back')
  const { rows: meta } = await client.query('SELECT name FROM schema_migrations')
  t.same(meta, [], 'no meta row')
  t.same(await migrator.pending(), ['20261201000000_half_done'], 'still pending')
})

t.test('migrations are applied in order and recorded with duration and checksum', async t => {
  const migrator = new Migrator(sequelize)
  await migrator.up()
  const [row] = await migrator.executed()
  t.equal(row?.name, '20261123000000_initial_schema')
  t.match(row?.checksum, /^[0-9a-f]{64}$/)
  t.type(row?.durationMs, 'number')
  t.same(await migrator.up(), { applied: [], skipped: false }, 'a second up applies nothing')
})

t.test('down reverts one step by default and rejects a bad step or an unknown name', async t => {
  const migrator = new Migrator(sequelize)
  t.same(await migrator.down(), ['20261123000000_initial_schema'])
  t.same(await migrator.down(), [], 'nothing left to revert')
  await t.rejects(migrator.down({ step: 0 }), OptionsError)
  await migrator.up()
  const err = await migrator.up({ to: '20990101000000_nope' }).catch((e: unknown) => e)
  t.type(err, OptionsError)
  t.match((err as Error).message, /coach-db status/)
})

t.test('a custom meta table name is honoured', async t => {
  const migrator = new Migrator(sequelize, { migrationsDir: testMigrations('concurrent'), tableName: 'other_meta' })
  t.same(await migrator.pending(), ['20261204000000_create_notes', '20261204000100_notes_body_index_concurrently'])
  const { rows: before } = await client.query("SELECT to_regclass('public.other_meta') AS t")
  t.equal(before[0].t, null, 'reading the pending list creates nothing')
  await migrator.up()
  const { rows } = await client.query('SELECT name FROM other_meta ORDER BY name')
  t.same(rows.map(r => r.name), ['20261204000000_create_notes', '20261204000100_notes_body_index_concurrently'])
  await migrator.down({ to: 0 })
})

t.test('the Migrator takes the plugin\'s option names; the old names are refused, not ignored', async t => {
  t.throws(() => new Migrator(sequelize, { lock: false } as never), { code: 'ERR_COACH_DB_OPTIONS', message: 'Migrator option "lock" is now "migrationLock", the plugin\'s name for it.' })
  t.throws(() => new Migrator(sequelize, { acceptEdited: true } as never), { code: 'ERR_COACH_DB_OPTIONS', message: /"acceptEdited" is now "acceptEditedMigrations"/ })
  const migrator = new Migrator(sequelize, { migrationLock: false, acceptEditedMigrations: true })
  t.same(await migrator.up(), { applied: [], skipped: false })
})

t.test('plan captures its statements without touching the app\'s logging: a query the app sends meanwhile is logged once, and not captured', async t => {
  const logged: string[] = []
  const appLogging = (message: string): void => { logged.push(message) }
  const options = sequelize.options as { logging?: unknown }
  const before = options.logging
  options.logging = appLogging
  t.teardown(() => { options.logging = before })
  const transaction = await sequelize.transaction()
  t.teardown(() => transaction.rollback())
  const seen: unknown[] = []
  const sql = await captureSql(sequelize, transaction, async () => {
    await sequelize.query('SELECT 41 AS in_plan', { transaction })
    seen.push(options.logging)
    // PGlite's one session is held by the open transaction: an app query outside it would wait for
    // the rollback, so there the concurrent query is left out.
    if (!onPglite) await sequelize.query('SELECT 42 AS from_the_app')
    await sequelize.query('SELECT 43 AS in_plan_too', { transaction }).catch(() => {})
  })
  t.same(sql, ['SELECT 41 AS in_plan', 'SELECT 43 AS in_plan_too'], 'only the plan transaction\'s statements, in order')
  t.same(seen, [appLogging], 'the app\'s logging function stays in place while plan runs')
  if (!onPglite) t.equal(logged.filter(m => m.includes('from_the_app')).length, 1, 'the app\'s own query is logged once')
  t.equal(options.logging, appLogging)
  const failing = await captureSql(sequelize, transaction, async () => {
    await sequelize.query('SELECT * FROM no_such_table_here', { transaction }).catch(() => {})
  })
  t.same(failing, ['SELECT * FROM no_such_table_here'], 'a statement that fails is still part of the capture')
})
