import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { DEFAULT_MIGRATIONS_DIR } from '../lib/migrator/discover.js'
import { freshDatabase } from './helpers/app.js'
import { runBin } from './helpers/cli.js'
import { queryRows } from './helpers/pg.js'

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
    const env = { DATABASE_URL: db.url, COACH_DB_MIGRATIONS_DIR: [DEFAULT_MIGRATIONS_DIR, join(app, 'migrations')].join(delimiter) }
    const created = await runBin(['create', 'app notes'], env, app)
    t.equal(created.code, 0, created.err)
    const [file] = await readdir(join(app, 'migrations'))
    t.match(file, kind === 'ESM' ? /^\d{14}_app_notes\.js$/ : /^\d{14}_app_notes\.cjs$/, 'follows the app\'s module type')
    const text = await readFile(join(app, 'migrations', file as string), 'utf8')
    t.match(text, /import\('fastify-coach-db'\)\.MigrationFn/, 'typed through JSDoc')
    t.equal(await loadsOnPlainNode(join(app, 'migrations', file as string)), 'function function', 'plain Node loads it')

    const up = await runBin(['up'], env, app)
    t.equal(up.code, 0, up.err)
    t.match(up.out, /^applied {2}20261123000000_initial_schema\napplied {2}\d{14}_app_notes$/)
    t.equal((await queryRows(db.url, 'SELECT count(*)::int AS n FROM schema_migrations'))[0]?.n, 2)
  })
}
