import { fileTest } from './helpers/file-test.js'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as root from '../lib/index.js'
import * as testing from '../lib/testing/index.js'
import { errorTable, readmeTable, registryRows } from '../scripts/error-table.js'

const t = fileTest()

// One registry of error codes (lib/error-codes.ts): every code the source uses is in it, every
// class that carries one is exported from the package root, and the README's table is the
// registry's. A new code or class that skips the registry fails here (a new code also fails to
// compile: CoachDbError's constructor takes only registered codes).

const REPO = fileURLToPath(new URL('..', import.meta.url))
const REGISTRY_FILE = 'lib/error-codes.ts'
// Not a CoachDbError code: the embedded engine starts the message of a PostgreSQL 55P03 error
// with it (root export WAIT_FAILURE_CODE); the README says so under the table.
const NOT_A_CLASS_CODE = new Set(['ERR_COACH_DB_EMBEDDED_SESSION_BUSY'])

function sourceFiles (dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap(entry => {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

const SOURCES = [...sourceFiles('lib'), ...sourceFiles('models')].map(path => ({ path, text: readFileSync(join(REPO, path), 'utf8') }))
const CODES = Object.keys(root.ERROR_CODES)
const exported = root as unknown as Record<string, unknown>

/** Every class in lib/ and models/ that extends CoachDbError, directly or not. */
function coachDbErrorClasses (): string[] {
  const family = new Set(['CoachDbError'])
  const extensions = SOURCES.flatMap(({ text }) => [...text.matchAll(/\bclass (\w+) extends (\w+)/g)].map(([, child, parent]) => [child as string, parent as string]))
  for (let grew = true; grew;) {
    grew = false
    for (const [child, parent] of extensions) {
      if (family.has(parent as string) && !family.has(child as string)) { family.add(child as string); grew = true }
    }
  }
  return [...family].sort()
}

t.test('every error class the package can throw is exported from the root', async t => {
  const classes = coachDbErrorClasses()
  t.ok(classes.length >= 10, `found the error classes in the source (${classes.join(', ')})`)
  for (const name of new Set([...classes, ...Object.values(root.ERROR_CODES)])) {
    const value = exported[name]
    t.type(value, 'function', `${name} is exported from fastify-coach-db`)
    t.ok(value === root.CoachDbError || (typeof value === 'function' && value.prototype instanceof root.CoachDbError), `${name} is a CoachDbError`)
  }
  t.equal(testing.FixtureError, root.FixtureError, 'fastify-coach-db/testing exports the same FixtureError class, so instanceof works across entry points')
})

t.test('every code in the source is in the registry, and every registered code is used', async t => {
  const used = new Map<string, string>()
  for (const { path, text } of SOURCES) {
    if (path === REGISTRY_FILE) continue
    for (const [code] of text.matchAll(/ERR_COACH_DB_[A-Z_]*[A-Z]/g)) used.set(code, path)
  }
  for (const [code, path] of used) {
    if (NOT_A_CLASS_CODE.has(code)) continue
    t.ok(CODES.includes(code), `${code} (in ${path}) is in ERROR_CODES`)
  }
  for (const code of CODES) t.ok(used.has(code), `${code} is thrown somewhere (or is a dead entry to remove)`)
})

t.test('the registry has one line of JSDoc per code', async t => {
  const rows = registryRows()
  t.same(rows.map(([code, className]) => [code, className]), Object.entries(root.ERROR_CODES), 'each code has its `/** when */` line right above it')
  for (const [code, , when] of rows) t.ok(when.length > 20, `${code} says when it is thrown`)
})

t.test('the README lists every code: its table is the one generated from the registry', async t => {
  t.equal(readmeTable(), errorTable(), 'README.md matches; run `npx tsx scripts/error-table.ts --write`')
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8')
  for (const code of CODES) t.ok(readme.includes(`\`${code}\``), `README names ${code}`)
})

t.test('instances carry their code, their class name and the cause', async t => {
  const cause = new Error('driver said no')
  const cases = [
    new root.OptionsError('bad', { cause }),
    new root.ConnectionError('down', { cause, code: 'ERR_COACH_DB_AUTH' }),
    new root.QueryTimeoutError(5000, cause),
    new root.SecretError('ERR_COACH_DB_SECRET_FIELD', 'prod/db', 'no host', { cause }),
    new root.MigrationError('20240101000000_x', 'failed', { cause, code: 'ERR_COACH_DB_MIGRATION_EDITED' }),
    new root.StartupTimeoutError('connecting', 'too slow', { cause }),
    new root.EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_URL', 'bad url', { cause }),
    new root.FixtureError('ERR_COACH_DB_FIXTURES_USAGE', 'bad db', { cause })
  ]
  for (const err of cases) {
    t.ok(err instanceof root.CoachDbError, `${err.name} is a CoachDbError`)
    t.equal(root.ERROR_CODES[err.code], err.name, `${err.code} is registered for ${err.name}`)
    t.equal(err.cause, cause)
  }
})
