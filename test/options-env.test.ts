import { fileTest } from './helpers/file-test.js'
import { OptionsError } from '../lib/index.js'
import { buildApp, freshDatabase, registrationError } from './helpers/app.js'
import { runCli } from './helpers/cli.js'
import { testMigrations } from './helpers/migrator.js'

const t = fileTest()

// The plugin and the CLI turn the environment into options in one place (lib/options.ts): the
// same variables give the same result, or the same error, from both.

const db = await freshDatabase(t, { migrated: false })

/** Runs the plugin with `env` in process.env (and no options but the URL), restoring it after. */
async function withEnv<T> (env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(env).map(key => [key, process.env[key]]))
  Object.assign(process.env, env)
  try {
    return await fn()
  } finally {
    for (const [key, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
}

for (const [variable, value, message] of [
  ['COACH_DB_MIGRATION_LOCK', 'later', /^COACH_DB_MIGRATION_LOCK must be wait, skip, fail or off \(got "later"\)\.$/],
  ['COACH_DB_LOCK_TIMEOUT', 'soon', /^COACH_DB_LOCK_TIMEOUT must be a whole number of milliseconds \(got "soon"\)\.$/]
] as const) {
  t.test(`an invalid ${variable} fails the plugin and the CLI with the same code and message`, async t => {
    const env = { [variable]: value }
    const fromPlugin = await withEnv(env, async () => await registrationError({ connectionString: db.url }))
    t.type(fromPlugin, OptionsError)
    t.equal((fromPlugin as OptionsError).code, 'ERR_COACH_DB_OPTIONS')
    t.match(fromPlugin.message, message)

    const fromCli = await runCli(['status'], { DATABASE_URL: db.url, ...env })
    t.equal(fromCli.code, 1)
    t.equal(fromCli.err, `coach-db status: ${fromPlugin.message} [ERR_COACH_DB_OPTIONS]`, 'same message, same code')
  })
}

t.test('an option wins over its variable: the variable is not even read', async t => {
  const app = await withEnv({ COACH_DB_MIGRATION_LOCK: 'later', COACH_DB_LOCK_TIMEOUT: 'soon' }, async () =>
    await buildApp(t, { connectionString: db.url, migrationLock: false, lockTimeout: 1_000 }))
  t.ok(app.db.migrator, 'registered')
})

t.test('COACH_DB_MIGRATIONS_DIR names the same folders for the plugin and the CLI', async t => {
  const env = { COACH_DB_MIGRATIONS_DIR: testMigrations('concurrent') }
  const app = await withEnv(env, async () => await buildApp(t, { connectionString: db.url }))
  t.same(await app.db.migrator.folders(), [testMigrations('concurrent')])
  const fromPlugin = (await app.db.migrator.status()).map(m => m.name)
  const fromCli = (JSON.parse((await runCli(['status', '--json'], { DATABASE_URL: db.url, ...env })).out) as Array<{ name: string }>).map(m => m.name)
  t.same(fromPlugin, ['20261204000000_create_notes', '20261204000100_notes_body_index_concurrently'])
  t.same(fromCli, fromPlugin)
})
