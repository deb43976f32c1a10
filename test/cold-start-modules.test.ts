import { fileTest } from './helpers/file-test.js'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { freshDatabase } from './helpers/app.js'
import { needsServer } from './helpers/engine.js'

const t = fileTest()

// Cold start (issue 12): an app on PostgreSQL with a password loads only what its start-up
// runs. The embedded engine, the schema diff, the Secrets Manager path and the IAM signer are
// imported on first use; a static import of one of them anywhere under the entry point shows here.
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const run = promisify(execFile)
const RECORD = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent(\`
export async function load (url, context, next) {
  if (url.includes('/lib/') || url.includes('/models/')) process.stderr.write('LOADED ' + url + '\\\\n')
  return next(url, context)
}\`))`)}`
const NOT_AT_START_UP = [
  /\/lib\/engine\/(index|wire-server|session-arbiter|protocol|in-process-socket|data-directory)\./,
  /\/lib\/drift\/(index|expected|actual|checks|autogenerate)\./, // diffSchemas (diff, sql) is a small sync export
  /\/lib\/credentials\/(secrets-manager|rotating|rds-secret|secret-cache|iam)\./,
  /\/lib\/(cli|testing)\//,
  /\/lib\/fixtures\/(?!jsonb-path\.)/ // jsonbPath is a root export
]

t.test('register + ready on PostgreSQL loads none of the on-demand modules', needsServer('a PostgreSQL URL'), async t => {
  const db = await freshDatabase(t)
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '--import', RECORD, '--input-type=module', '-e', `
    const { default: Fastify } = await import('fastify')
    const { default: plugin } = await import('./lib/index.ts')
    const app = Fastify()
    await app.register(plugin, { connectionString: process.env.URL, migrate: true })
    await app.ready()
    console.log(await app.db.models.User.count())
    await app.close()
  `], { cwd: ROOT, env: { ...process.env, URL: db.url, NODE_OPTIONS: '' } })
  t.equal(stdout.trim(), '0', 'the app started and queried')
  const loaded = stderr.split('\n').filter(line => line.startsWith('LOADED ')).map(line => line.slice(7))
  t.ok(loaded.some(url => url.endsWith('/lib/plugin.ts')), 'the hook saw the package load')
  for (const pattern of NOT_AT_START_UP) t.same(loaded.filter(url => pattern.test(url)), [], `not loaded: ${pattern.source}`)
})
