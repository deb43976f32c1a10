import { type Test } from 'tap'
import { fileTest } from './helpers/file-test.js'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import Fastify from 'fastify'
import dbPlugin, { MigrationError } from '../lib/index.js'
import { DEFAULT_MIGRATIONS_DIR } from '../lib/migrator/discover.js'
import { freshDatabase } from './helpers/app.js'
import { runCli } from './helpers/cli.js'
import { queryRows, tableNames } from './helpers/pg.js'

const t = fileTest()

const APP_MIGRATION = `export async function up ({ context }) {
  await context.query('CREATE TABLE app_notes (id serial PRIMARY KEY, body text NOT NULL)')
}
export async function down ({ context }) {
  await context.query('DROP TABLE app_notes')
}
`

async function appWithMigration (t: Test): Promise<string> {
  const app = await mkdtemp(join(tmpdir(), 'coach-db-down-'))
  t.teardown(() => rm(app, { recursive: true, force: true }))
  await writeFile(join(app, 'package.json'), '{ "name": "scratch-app", "type": "module" }\n')
  await mkdir(join(app, 'migrations'))
  await writeFile(join(app, 'migrations', '20991201000000_app_notes.js'), APP_MIGRATION)
  return join(app, 'migrations')
}

const ALL_TABLES = ['app_notes', 'conversations', 'messages', 'schema_migrations', 'sessions', 'users']

t.test('down acts on the last applied migration: refuses, changing nothing, when its file is not found', async t => {
  const db = await freshDatabase(t, { migrated: false })
  const appDir = await appWithMigration(t)
  const up = await runCli(['up'], { DATABASE_URL: db.url, COACH_DB_MIGRATIONS_DIR: [DEFAULT_MIGRATIONS_DIR, appDir].join(delimiter) })
  t.equal(up.code, 0, up.err)
  await queryRows(db.url, "INSERT INTO users (id, email, name, role) VALUES (gen_random_uuid(), 'kept@example.org', 'Kept', 'coach')")

  const packageOnly = { DATABASE_URL: db.url, COACH_DB_MIGRATIONS_DIR: DEFAULT_MIGRATIONS_DIR }
  for (const args of [['down'], ['down', '--step', '1'], ['down', '--to', '20261123000000_initial_schema'], ['down', '--to', '0', '--yes']]) {
    const down = await runCli(args, packageOnly)
    t.equal(down.code, 1, `${args.join(' ')} fails`)
    t.equal(down.out, '', 'reverts nothing')
    t.match(down.err, /20991201000000_app_notes/, 'names the missing migration')
    t.match(down.err, DEFAULT_MIGRATIONS_DIR, 'names the folders searched')
    t.match(down.err, /\[ERR_COACH_DB_MIGRATION_MISSING\]$/)
    t.same(await tableNames(db.url), ALL_TABLES, 'every table is still there')
  }
  t.same(await queryRows(db.url, 'SELECT email FROM users'), [{ email: 'kept@example.org' }], 'and the row')
  t.same((await queryRows(db.url, 'SELECT name FROM schema_migrations ORDER BY name')).map(r => r.name), ['20261123000000_initial_schema', '20991201000000_app_notes'])

  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(dbPlugin, { connectionString: db.url, migrationsDir: DEFAULT_MIGRATIONS_DIR })
  await app.ready()
  const err = await app.db.migrator.down().catch((e: unknown) => e)
  t.type(err, MigrationError)
  t.equal((err as MigrationError).code, 'ERR_COACH_DB_MIGRATION_MISSING')
  t.equal((err as MigrationError).migration, '20991201000000_app_notes')
  t.same(await tableNames(db.url), ALL_TABLES, 'the plugin\'s migrator.down() changed nothing either')

  const withApp = await runCli(['down'], { DATABASE_URL: db.url, COACH_DB_MIGRATIONS_DIR: [DEFAULT_MIGRATIONS_DIR, appDir].join(delimiter) })
  t.equal(withApp.out, 'reverted 20991201000000_app_notes', 'with the app folder, the last applied is reverted')
  t.same(await queryRows(db.url, 'SELECT email FROM users'), [{ email: 'kept@example.org' }])
})
