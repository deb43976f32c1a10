import { type Test } from 'tap'
import { fileTest } from './helpers/file-test.js'
import { cp, mkdtemp, readdir, readFile, appendFile, rm, writeFile } from 'node:fs/promises'

import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import Fastify from 'fastify'
import dbPlugin, { MigrationError, Migrator } from '../lib/index.js'
import { freshDatabase } from './helpers/app.js'
import { sequelizeFor, testMigrations } from './helpers/migrator.js'
import { runCli } from './helpers/cli.js'
import { TEMPLATES } from '../lib/cli/commands/create.js'
import { DEFAULT_MIGRATIONS_DIR } from '../lib/migrator/discover.js'
import { queryRows } from './helpers/pg.js'

const t = fileTest()

async function tempDir (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'coach-db-migrations-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('an edited applied migration is reported by status and refused at startup', async t => {
  const db = await freshDatabase(t, { migrated: false })
  const dir = await tempDir(t)
  await cp(testMigrations('concurrent'), dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n') // the copies are ES modules outside our package
  const env = { DATABASE_URL: db.url, COACH_DB_MIGRATIONS_DIR: dir }
  t.equal((await runCli(['up'], env)).code, 0)
  await appendFile(join(dir, '20261204000000_create_notes.js'), '\n// edited after it ran\n')

  const status = await runCli(['status'], env)
  t.match(status.out, /^edited   20261204000000_create_notes /m)
  t.match(status.out, /^applied  20261204000100_notes_body_index_concurrently /m)
  t.match(status.out, /2 applied, 0 pending \(1 edited\)$/)

  const app = Fastify()
  t.teardown(() => app.close())
  const err = await (async () => {
    await app.register(dbPlugin, { connectionString: db.url, migrationsDir: dir, migrate: true })
    await app.ready()
  })().catch((e: unknown) => e)
  t.type(err, MigrationError)
  t.equal((err as MigrationError).code, 'ERR_COACH_DB_MIGRATION_EDITED')
  t.match((err as Error).message, /Applied migration 20261204000000_create_notes was edited after it ran/)

  const refused = await runCli(['up'], env)
  t.equal(refused.code, 1)
  t.match(refused.err, /ERR_COACH_DB_MIGRATION_EDITED/)
  const accepted = await runCli(['up', '--accept-edited'], env)
  t.equal(accepted.code, 0, '--accept-edited lets it run')

  const tolerant = Fastify()
  t.teardown(() => tolerant.close())
  await tolerant.register(dbPlugin, { connectionString: db.url, migrationsDir: dir, migrate: true, acceptEditedMigrations: true })
  await tolerant.ready()
  t.pass('acceptEditedMigrations: true starts')
})

t.test('a non-transactional migration runs outside a transaction and is recorded after it succeeds', async t => {
  const db = await freshDatabase(t, { migrated: false })
  const migrator = new Migrator(sequelizeFor(t, db.url), { migrationsDir: testMigrations('concurrent') })
  t.same((await migrator.up()).applied, ['20261204000000_create_notes', '20261204000100_notes_body_index_concurrently'])
  t.same(await queryRows(db.url, "SELECT indexname FROM pg_indexes WHERE indexname = 'idx_notes_body'"), [{ indexname: 'idx_notes_body' }])
  t.same((await migrator.executed()).map(m => m.name), ['20261204000000_create_notes', '20261204000100_notes_body_index_concurrently'])
  t.same(await migrator.down(), ['20261204000100_notes_body_index_concurrently'], 'and reverts the same way')
  t.same(await queryRows(db.url, "SELECT indexname FROM pg_indexes WHERE indexname = 'idx_notes_body'"), [])
})

t.test('plan prints the SQL of pending migrations and leaves the database unchanged', async t => {
  const db = await freshDatabase(t, { migrated: false })
  const planned = await runCli(['plan'], { DATABASE_URL: db.url })
  t.equal(planned.code, 0)
  t.match(planned.out, /^-- 20261123000000_initial_schema$/m)
  for (const table of ['users', 'sessions', 'conversations', 'messages']) t.match(planned.out, new RegExp(`^CREATE TABLE ${table} \\(`, 'm'))
  t.match(planned.out, /^CREATE INDEX idx_messages_conversation ON messages \(conversation_id, created_at\);$/m)
  t.notMatch(planned.out, /schema_migrations/, 'the meta row is not part of the plan')
  t.match(planned.out, /-- 1 pending migration\(s\); nothing was applied$/)
  t.same(await queryRows(db.url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"), [], 'no table was created, not even the meta table')

  const partial = await runCli(['plan'], { DATABASE_URL: db.url, COACH_DB_MIGRATIONS_DIR: testMigrations('concurrent') })
  t.match(partial.out, /^CREATE TABLE notes/m)
  t.match(partial.out, /^-- 20261204000100_notes_body_index_concurrently\n-- cannot be previewed: runs outside a transaction/m)
  t.match(partial.out, /2 pending migration\(s\), 1 not previewable/)

  await runCli(['up'], { DATABASE_URL: db.url })
  t.equal((await runCli(['plan'], { DATABASE_URL: db.url })).out, 'Nothing to apply: the database is up to date.')
})

t.test('create scaffolds <UTC timestamp>_<description>.ts with typed up and down in a checkout of this package', async t => {
  const checkout = await tempDir(t)
  await writeFile(join(checkout, 'package.json'), '{ "name": "fastify-coach-db" }\n')
  const dir = join(checkout, 'migrations')
  const before = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)
  const created = await runCli(['create', 'Add message', 'embedding', '--dir', dir], {})
  t.equal(created.code, 0)
  const [file] = (await readdir(dir)).filter(name => name.endsWith('.ts'))
  t.match(file, /^\d{14}_add_message_embedding\.ts$/)
  t.ok((file as string).slice(0, 14) >= before, 'named with the current UTC time')
  t.match(created.out, `created ${join(dir, file as string)}\nnote: "coach-db up" reads `, 'and says that up does not read that folder yet')
  const text = await readFile(join(dir, file as string), 'utf8')
  t.match(text, /import type \{ MigrationFn \} from '..\/lib\/migrator\/types.js'/)
  t.match(text, /export const up: MigrationFn = async \(\{ context \}\) =>/)
  t.match(text, /export const down: MigrationFn/)
  const missing = await runCli(['create'], {})
  t.equal(missing.code, 2)
  t.match(missing.err, /give a description/)
})

t.test('plan refuses a statement sent outside the migration\'s transaction, before it runs', async t => {
  const db = await freshDatabase(t, { migrated: false })
  const planned = await runCli(['plan'], { DATABASE_URL: db.url, COACH_DB_MIGRATIONS_DIR: testMigrations('leaky') })
  t.equal(planned.code, 1)
  t.match(planned.err, /Migration 20261205000000_leaky sends a statement outside its transaction, so "plan" cannot preview it without applying it; nothing was sent.*ERR_COACH_DB_PLAN_UNSAFE/)
  t.same(await queryRows(db.url, "SELECT to_regclass('public.leaky_outside') AS outside, to_regclass('public.leaky_inside') AS inside"), [{ outside: null, inside: null }], 'neither table exists afterwards')
})

t.test('an app adds its own migrations folder next to the package\'s: create writes there, up runs both', async t => {
  const db = await freshDatabase(t, { migrated: false })
  const appDir = await tempDir(t)
  await writeFile(join(appDir, 'package.json'), '{ "type": "module" }\n')
  const env = { DATABASE_URL: db.url, COACH_DB_MIGRATIONS_DIR: [DEFAULT_MIGRATIONS_DIR, appDir].join(delimiter) }
  const created = await runCli(['create', 'app notes'], env)
  t.match(created.out, /^created .*_app_notes\.js$/, 'into the last folder, as the ESM app\'s JavaScript, with no note')
  // The installed CLI writes JavaScript; its template must load and run as it is.
  await writeFile(join(appDir, '20991231000000_from_js_template.js'), TEMPLATES.js('fastify-coach-db', 'from js template'))
  const up = await runCli(['up'], env)
  t.equal(up.code, 0)
  t.match(up.out, /^applied {2}20261123000000_initial_schema\napplied {2}\d{14}_app_notes\napplied {2}20991231000000_from_js_template$/)
})
