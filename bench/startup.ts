import Fastify from 'fastify'
import pg from 'pg'
import dbPlugin from '../lib/index.js'
import { median, type Figure } from './stats.js'

/**
 * `register` + `ready` with an up-to-date schema (migrate: true, nothing pending) against what a
 * hand-written service does at boot: connect with pg, `SELECT 1`, read the meta table. Ready does
 * not wait for the pool's first connection (Sequelize's session settings and pg_type read), so
 * the second figure adds the first query after ready on both sides: a query through the pool
 * against one more `SELECT 1` on the raw connection.
 */
export async function benchStartup (url: string, runs = 15): Promise<Figure[]> {
  // Only start-up is timed: building the Fastify instance and closing either side are not.
  const raw: number[] = []
  const plugin: number[] = []
  const rawFirst: number[] = []
  const pluginFirst: number[] = []
  for (let i = 0; i < runs + 3; i++) {
    const client = new pg.Client({ connectionString: url })
    let started = performance.now()
    await client.connect()
    await client.query('SELECT 1')
    await client.query('SELECT name FROM schema_migrations ORDER BY name')
    const rawReady = performance.now() - started
    await client.query('SELECT 1')
    if (i >= 3) { raw.push(rawReady); rawFirst.push(performance.now() - started) }
    await client.end()

    const app = Fastify()
    started = performance.now()
    await app.register(dbPlugin, { connectionString: url, migrate: true })
    await app.ready()
    const ready = performance.now() - started
    await app.db.sequelize.query('SELECT 1')
    if (i >= 3) { plugin.push(ready); pluginFirst.push(performance.now() - started) }
    await app.close()
  }
  const value = median(plugin)
  const baseline = median(raw)
  const first = median(pluginFirst)
  const firstBaseline = median(rawFirst)
  return [
    { section: 'startup', name: 'register + ready (schema up to date)', value, unit: 'ms', baseline: { name: 'pg connect + SELECT 1 + meta read', value: baseline }, ratio: value / baseline, target: '≤ 1.5 (aim 1.15)', met: value / baseline <= 1.5 },
    { section: 'startup', name: 'register + ready + first query', value: first, unit: 'ms', baseline: { name: 'the same + SELECT 1', value: firstBaseline }, ratio: first / firstBaseline }
  ]
}
