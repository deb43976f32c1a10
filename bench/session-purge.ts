import pg from 'pg'
import Fastify from 'fastify'
import dbPlugin from '../lib/index.js'
import type { Figure } from './stats.js'

const LOOKUP = 'SELECT * FROM sessions WHERE id = $1'

/**
 * Purges `expired` expired sessions with `Session.purgeExpired` (batches of `batchSize`) while
 * another client looks live sessions up by id, and compares that client's p99 lookup latency
 * during the purge with its p99 just before, on the same database in the same run.
 */
export async function benchSessionPurge (url: string, { expired = 1_000_000, live = 100_000, batchSize = 1_000, baselineLookups = 20_000 } = {}): Promise<Figure[]> {
  const setup = new pg.Client({ connectionString: url })
  await setup.connect()
  const app = Fastify()
  await app.register(dbPlugin, { connectionString: url })
  await app.ready()
  const reader = new pg.Client({ connectionString: url })
  await reader.connect()
  try {
    const loadStarted = performance.now()
    await setup.query("INSERT INTO users (email, name, role) SELECT 'purge-' || g || '@example.test', 'Purge ' || g, 'coach' FROM generate_series(1, 1000) g")
    await setup.query(`INSERT INTO sessions (user_id, expires_at, created_at)
      SELECT u.id, now() - interval '1 minute' - g * interval '1 second', now() - interval '30 days'
      FROM generate_series(1, $1::int) g JOIN (SELECT id, row_number() OVER () - 1 AS n FROM users) u ON u.n = g % 1000`, [expired])
    await setup.query(`INSERT INTO sessions (user_id, expires_at)
      SELECT u.id, now() + interval '1 day' + g * interval '1 second'
      FROM generate_series(1, $1::int) g JOIN (SELECT id, row_number() OVER () - 1 AS n FROM users) u ON u.n = g % 1000`, [live])
    await setup.query('VACUUM ANALYZE sessions')
    const loadedIn = performance.now() - loadStarted
    const ids = (await setup.query<{ id: string }>('SELECT id FROM sessions WHERE expires_at > now()')).rows.map(r => r.id)
    const lookup = async (): Promise<number> => {
      const id = ids[Math.floor(Math.random() * ids.length)]
      const started = performance.now()
      await reader.query(LOOKUP, [id])
      return performance.now() - started
    }

    for (let i = 0; i < 2_000; i++) await lookup()
    const before: number[] = []
    for (let i = 0; i < baselineLookups; i++) before.push(await lookup())

    const { Session } = app.db.models
    const during: number[] = []
    const batchTimes: number[] = []
    let deleted = 0
    let purging = true
    const purgeStarted = performance.now()
    const purge = (async () => {
      try {
        for (;;) {
          const started = performance.now()
          const batch = await Session.purgeExpired({ batchSize, maxBatches: 1 })
          batchTimes.push(performance.now() - started)
          deleted += batch.deleted
          if (batch.deleted < batchSize) break
        }
      } finally {
        purging = false
      }
    })()
    while (purging) during.push(await lookup())
    await purge
    const purgeMs = performance.now() - purgeStarted
    const remaining = Number((await setup.query('SELECT count(*) FROM sessions WHERE expires_at < now()')).rows[0].count)
    const left = Number((await setup.query('SELECT count(*) FROM sessions')).rows[0].count)
    if (deleted !== expired || remaining !== 0 || left !== live) throw new Error(`purge bench: deleted ${deleted} of ${expired}, ${remaining} expired and ${left} in all left`)

    const p99Before = percentile(before, 0.99)
    const p99During = percentile(during, 0.99)
    const section = 'session purge'
    return [
      { section, name: `load ${expired.toLocaleString('en')} expired + ${live.toLocaleString('en')} live sessions`, value: loadedIn / 1000, unit: 's' },
      { section, name: `purge ${deleted.toLocaleString('en')} expired sessions (batches of ${batchSize})`, value: purgeMs / 1000, unit: 's' },
      { section, name: 'purge rate', value: deleted / (purgeMs / 1000), unit: 'rows/s' },
      { section, name: 'longest batch (longest lock held)', value: Math.max(...batchTimes), unit: 'ms' },
      { section, name: 'median batch', value: percentile(batchTimes, 0.5), unit: 'ms' },
      { section, name: `lookup by id p50 during purge (${during.length} lookups)`, value: percentile(during, 0.5), unit: 'ms', baseline: { name: `p50 before, ${before.length} lookups`, value: percentile(before, 0.5) }, ratio: percentile(during, 0.5) / percentile(before, 0.5) },
      { section, name: 'lookup by id p99 during purge', value: p99During, unit: 'ms', baseline: { name: 'p99 before', value: p99Before }, ratio: p99During / p99Before }
    ]
  } finally {
    await reader.end()
    await app.close()
    await setup.end()
  }
}

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
}
