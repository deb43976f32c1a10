/**
 * Fixture and isolation timings: `npx tsx bench/fixtures.ts` (or `npm run bench:fixtures`).
 * Prints medians; touches only databases it creates and drops (coach_test_*), plus the shared
 * templates createTestDatabase builds once. Env: TEST_DATABASE_URL, BENCH_RUNS (default 15).
 */
import type { Sequelize } from 'sequelize-typescript'
import { createSequelize } from '../lib/connection/create-sequelize.js'
import { parseConnectionString } from '../lib/credentials/target.js'
import { silentLogger } from '../lib/logger.js'
import { pathToFileURL } from 'node:url'
import { beginTestTransaction, createTestDatabase, fixtures, loadFixtures, type TestDatabase } from '../lib/testing/index.js'
import { printTable, type Figure } from './stats.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const fx = fixtures()

function open (database: TestDatabase): Sequelize {
  const { target } = parseConnectionString(database.url, 'bench URL')
  return createSequelize({ target, password: undefined, pool: { max: 5, min: 0, acquire: 30_000, idle: 10_000 }, log: silentLogger() })
}

/**
 * Median of `runs` timings of `measured`, in ms. `setup` and `cleanup` run around each timing
 * and are not counted; what `setup` returns is passed on.
 */
async function median<T> (runs: number, measured: (state: T) => Promise<unknown>, setup: () => Promise<T> = async () => undefined as T, cleanup: (state: T) => Promise<unknown> = async () => {}): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const state = await setup()
    const started = performance.now()
    await measured(state)
    times.push(performance.now() - started)
    await cleanup(state)
  }
  return middle(times)
}

function middle (times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** A typical test's writes: a cascade delete and an insert. */
async function someWrites (sequelize: Sequelize): Promise<void> {
  await sequelize.model('User').destroy({ where: { id: fx.users.ms_rivera.id } })
  await sequelize.model('Conversation').create({ userId: fx.users.coach_patel.id, title: 'bench' })
}

/** Fixture load, per-test reset and per-file setup timings, as figures for `npm run bench`. */
export async function benchFixtures (): Promise<Figure[]> {
const results: Figure[] = []
const report = (label: string, ms: number): void => {
  const chosen = label.includes('[chosen]')
  results.push({ section: 'fixtures', name: label.replace('  [chosen]', ' (chosen)'), value: ms, unit: 'ms', ...(chosen ? { target: '≤ 20 ms', met: ms <= 20 } : {}) })
}

// Build both templates first so their one-off cost is not in any median.
await (await createTestDatabase({ fixtures: true })).drop()

// Per-file database setup.
let created: TestDatabase | undefined
report('per-file setup: createTestDatabase() (clone of migrated template)', await median(RUNS,
  async () => { created = await createTestDatabase() }, undefined, async () => { await created?.drop() }))
report('per-file setup: createTestDatabase({ fixtures: true }) (clone with fixtures)', await median(RUNS,
  async () => { created = await createTestDatabase({ fixtures: true }) }, undefined, async () => { await created?.drop() }))
report('per-file teardown: drop database', await median(RUNS,
  async (database: TestDatabase) => { await database.drop() }, async () => await createTestDatabase()))

// Full-set load into a migrated, empty database, on an open pool (connecting is not timed).
const rowCount = Object.values(fx).reduce((n, rows) => n + Object.keys(rows).length, 0)
report(`full-set load: loadFixtures(), ${rowCount} rows in one transaction`, await median(RUNS,
  async ({ sequelize }: { database: TestDatabase, sequelize: Sequelize }) => { await loadFixtures(sequelize) },
  async () => {
    const database = await createTestDatabase()
    const sequelize = open(database)
    await sequelize.authenticate()
    return { database, sequelize }
  },
  async ({ database, sequelize }) => { await sequelize.close(); await database.drop() }))

// Per-test reset, three ways, each after the same writes (not timed).
{
  const database = await createTestDatabase({ fixtures: true })
  const sequelize = open(database)
  await sequelize.authenticate()

  const resets: number[] = []
  for (let i = 0; i < RUNS * 4; i++) {
    const begin = performance.now()
    const transaction = await beginTestTransaction(sequelize)
    const begun = performance.now()
    await someWrites(sequelize)
    const rollback = performance.now()
    await transaction.rollback()
    resets.push((begun - begin) + (performance.now() - rollback))
  }
  report('per-test reset (a): test transaction, begin + rollback  [chosen]', middle(resets))

  report('per-test reset (c): TRUNCATE four tables + loadFixtures()', await median(RUNS,
    async () => {
      await sequelize.query('TRUNCATE users, sessions, conversations, messages')
      await loadFixtures(sequelize)
    },
    async () => { await someWrites(sequelize) }))

  // What the harness costs each query: a savepoint around every statement outside an app transaction.
  const read = async (): Promise<unknown> => await sequelize.model('Message').count({ where: { conversationId: fx.conversations.lesson_planning.id } })
  report('  one query on the plain pool', await median(RUNS * 4, read))
  const transaction = await beginTestTransaction(sequelize)
  report('  one query inside the test transaction', await median(RUNS * 4, read))
  await transaction.rollback()
  await sequelize.close()
  await database.drop()
}
report('per-test reset (b): clone with fixtures + connect + close + drop', await median(RUNS,
  async () => {
    const database = await createTestDatabase({ fixtures: true })
    const sequelize = open(database)
    await sequelize.authenticate()
    await sequelize.close()
    await database.drop()
  }))

return results
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`fixture benchmark, median of ${RUNS} runs`)
  printTable(await benchFixtures())
}
