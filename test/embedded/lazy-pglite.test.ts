import { fileTest } from '../helpers/file-test.js'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'

const t = fileTest()

// An app that only talks to PostgreSQL never loads PGlite (issue 12): run in a child process where
// @electric-sql/* can't be resolved, as when the optional peer is not installed. The hook reports
// every attempt to load it, so a static import anywhere under the entry points shows up.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const HIDE = fileURLToPath(new URL('./hide-pglite.mjs', import.meta.url))
const run = promisify(execFile)

async function withoutPglite (script: string): Promise<{ stdout: string, stderr: string }> {
  return await run(process.execPath, ['--import', 'tsx', '--import', HIDE, '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } })
}

t.test('importing the package root and /testing loads no PGlite', async t => {
  const { stdout, stderr } = await withoutPglite(`
    const root = await import('./lib/index.ts')
    const testing = await import('./lib/testing/index.ts')
    console.log(typeof root.default, typeof root.startEmbedded, typeof testing.createTestDatabase)
  `)
  t.equal(stdout.trim(), 'function function function')
  t.notMatch(stderr, /LOADED-PGLITE/)
})

t.test('a pglite:// URL without PGlite installed fails with our error naming what to install', async t => {
  const { stdout, stderr } = await withoutPglite(`
    const { default: Fastify } = await import('fastify')
    const { default: plugin } = await import('./lib/index.ts')
    const app = Fastify()
    try {
      await app.register(plugin, { connectionString: 'pglite://memory' })
      await app.ready()
      console.log('started')
    } catch (err) {
      console.log(JSON.stringify({ code: err.code, name: err.constructor.name, message: err.message }))
    } finally {
      await app.close()
    }
  `)
  const err = JSON.parse(stdout.trim()) as { code: string, name: string, message: string }
  t.equal(err.code, 'ERR_COACH_DB_EMBEDDED_MISSING')
  t.equal(err.name, 'EmbeddedEngineError')
  t.match(err.message, /npm install @electric-sql\/pglite@[\d.]+ @electric-sql\/pglite-pgvector@[\d.]+/)
  t.match(stderr, /LOADED-PGLITE @electric-sql\/pglite/, 'PGlite is asked for only now')
})
