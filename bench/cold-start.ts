import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { median, type Figure } from './stats.js'

const run = promisify(execFile)
const root = new URL('..', import.meta.url)

// What an app's process does from `node app.js` to ready, on plain Node with the built package
// (as installed: dist/, no TypeScript loader). The baseline is a hand-written service's boot:
// import fastify and pg, connect, SELECT 1, read the meta table.
const PLUGIN = `
import Fastify from 'fastify'
import dbPlugin from './dist/lib/index.js'
const app = Fastify()
await app.register(dbPlugin, { connectionString: process.env.DATABASE_URL, migrate: true })
await app.ready()
await app.close()
`
const RAW = `
import Fastify from 'fastify'
import pg from 'pg'
const app = Fastify()
const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
await client.connect()
await client.query('SELECT 1')
await client.query('SELECT name FROM schema_migrations ORDER BY name')
await client.end()
await app.ready()
await app.close()
`

async function timeProcess (source: string, url: string): Promise<number> {
  const started = performance.now()
  await run(process.execPath, ['--input-type=module', '-e', source], { cwd: root, env: { ...process.env, DATABASE_URL: url } })
  return performance.now() - started
}

/**
 * Cold start of a whole process, nine runs each side, alternated so that machine noise hits both:
 * `import fastify + fastify-coach-db, register (migrate: true, nothing pending), ready` against
 * `import fastify + pg, connect, SELECT 1, meta read`. Needs `npm run build` (dist/).
 */
export async function benchColdStart (url: string, runs = 9): Promise<Figure[]> {
  if (!existsSync(new URL('dist/lib/index.js', root))) throw new Error('bench cold-start needs dist/: run npm run build first')
  const raw: number[] = []
  const plugin: number[] = []
  await timeProcess(PLUGIN, url) // migrates the fresh database once; not timed
  for (let i = 0; i < runs; i++) {
    raw.push(await timeProcess(RAW, url))
    plugin.push(await timeProcess(PLUGIN, url))
  }
  const value = median(plugin)
  const baseline = median(raw)
  return [{ section: 'cold-start', name: 'process: import + register + ready (schema up to date)', value, unit: 'ms', baseline: { name: 'process: import fastify + pg, connect, SELECT 1, meta read', value: baseline }, ratio: value / baseline, target: '≤ 2 (aim 1.5)', met: value / baseline <= 2 }]
}
