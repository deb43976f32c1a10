import { type Test } from 'tap'
import { fileTest } from './helpers/file-test.js'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Fastify from 'fastify'
import dbPlugin from '../lib/index.js'
import { freshDatabase } from './helpers/app.js'
import { runBin, runCli } from './helpers/cli.js'
import { queryRows } from './helpers/pg.js'

const t = fileTest()

async function scratchApp (t: Test, pkg: Record<string, unknown>): Promise<string> {
  const app = await mkdtemp(join(tmpdir(), 'coach-db-app-'))
  t.teardown(() => rm(app, { recursive: true, force: true }))
  await writeFile(join(app, 'package.json'), `${JSON.stringify({ name: 'scratch-app', private: true, ...pkg }, null, 2)}\n`)
  return app
}

// What the installed CLI does with the file: plain Node, no TypeScript loader.
async function loadsOnPlainNode (file: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', 'import(process.argv[1]).then(m => console.log(typeof m.up, typeof m.down))', file])
  return stdout.trim()
}

for (const [kind, pkg] of [['CommonJS', {}], ['ESM', { type: 'module' }]] as const) {
  t.test(`create + up in a scratch ${kind} app`, async t => {
    const db = await freshDatabase(t, { migrated: false })
    const app = await scratchApp(t, pkg)
    const env = { DATABASE_URL: db.url }
    // The first command through the bin, as a user runs it in their app's folder; the rest in-process.
    const created = await runBin(['create', 'app notes'], env, app)
    t.equal(created.code, 0, created.err)
    t.match(created.out, /added "coach-db": \{ "migrations": "migrations" \} to /, 'says where it declared the folder')
    t.same(JSON.parse(await readFile(join(app, 'package.json'), 'utf8'))['coach-db'], { migrations: 'migrations' })
    const [file] = (await readdir(join(app, 'migrations'))).sort()
    t.match(file, kind === 'ESM' ? /^\d{14}_app_notes\.js$/ : /^\d{14}_app_notes\.cjs$/, 'follows the app\'s module type')
    const text = await readFile(join(app, 'migrations', file as string), 'utf8')
    t.match(text, /import\('fastify-coach-db'\)\.MigrationFn/, 'typed through JSDoc')
    t.equal(await loadsOnPlainNode(join(app, 'migrations', file as string)), 'function function', 'plain Node loads it')

    const up = await runCli(['up'], env, app)
    t.equal(up.code, 0, up.err)
    t.match(up.out, /^applied {2}20261123000000_initial_schema\napplied {2}\d{14}_app_notes$/)
    t.equal((await queryRows(db.url, 'SELECT count(*)::int AS n FROM schema_migrations'))[0]?.n, 2)
    if (kind === 'CommonJS') return
    // The same folders for every command, and for the plugin started in the app's folder.
    const status = await runCli(['status', '--json'], env, app)
    t.match(JSON.parse(status.out), [{ state: 'applied' }, { name: /_app_notes$/, state: 'applied' }])
    t.equal((await runCli(['plan'], env, app)).out, 'Nothing to apply: the database is up to date.')
    const second = await runCli(['create', 'more notes'], env, app)
    t.notMatch(second.out, /added|note:/, 'a second create writes to the declared folder')
    const pluginDb = await freshDatabase(t, { migrated: false })
    const cwd = process.cwd()
    process.chdir(app)
    t.teardown(() => { process.chdir(cwd) })
    const plugin = Fastify()
    t.teardown(() => plugin.close())
    await plugin.register(dbPlugin, { connectionString: pluginDb.url, migrate: true })
    await plugin.ready()
    process.chdir(cwd)
    t.match((await plugin.db.migrator.executed()).map(m => m.name), ['20261123000000_initial_schema', /_app_notes$/, /_more_notes$/], 'migrate: true ran both folders')
  })
}
