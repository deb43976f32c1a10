import { connect } from 'node:net'
import { silentLogger } from '../logger.js'
import { Migrator } from '../migrator/migrator.js'
import { loadFixtures } from '../fixtures/load.js'
import { startEmbedded } from '../engine/index.js'
import { withSequelize } from '../connection/with-sequelize.js'
import { deadline } from '../deadline.js'

/** What {@link createEmbeddedTestDatabase} returns: the same shape as `createTestDatabase`'s. */
export interface EmbeddedTestDatabase {
  readonly name: string
  readonly url: string
  /** Stops the engine; the database is gone with it. Safe to call twice. */
  drop: () => Promise<void>
}

/** Options of {@link createEmbeddedTestDatabase}, as for `createTestDatabase`. */
export interface EmbeddedTestDatabaseOptions {
  migrated?: boolean
  migrationsDir?: string | readonly string[]
  fixtures?: boolean
}

/**
 * A test database on its own in-memory PGlite: what `createTestDatabase` falls back to on a
 * machine without PostgreSQL. Migrated (and filled with the fixtures) when asked, like a clone
 * of the server-side template.
 */
export async function createEmbeddedTestDatabase (options: EmbeddedTestDatabaseOptions = {}): Promise<EmbeddedTestDatabase> {
  // Tests hand the database around as a URL: this engine listens on loopback.
  const engine = await startEmbedded('pglite://memory', silentLogger(), { listen: true })
  try {
    if (options.migrated !== false) await prepare(engine.connectionString, options)
  } catch (err) {
    await engine.close()
    throw err
  }
  // The engine serves one database, named in its URL; `name` is that, as for a server-side clone.
  return { name: new URL(engine.connectionString).pathname.slice(1), url: engine.connectionString, drop: engine.close }
}

async function prepare (url: string, options: EmbeddedTestDatabaseOptions): Promise<void> {
  await withSequelize(url, async (sequelize) => {
    await new Migrator(sequelize, { migrationsDir: options.migrationsDir }).up()
    if (options.fixtures === true) await loadFixtures(sequelize)
  })
}

/**
 * Which engine the test suite runs on: `pglite` when `COACH_DB_TEST_ENGINE=pglite`, or when no
 * `TEST_DATABASE_URL` is set and nothing listens on 127.0.0.1:5432; `postgres` otherwise. An
 * explicit `TEST_DATABASE_URL` is never replaced: if it is down, tests should fail, not switch.
 */
export async function testEngine (env: NodeJS.ProcessEnv = process.env): Promise<'postgres' | 'pglite'> {
  if (env.COACH_DB_TEST_ENGINE === 'pglite') return 'pglite'
  if (env.COACH_DB_TEST_ENGINE === 'postgres' || env.TEST_DATABASE_URL !== undefined) return 'postgres'
  return await listening('127.0.0.1', 5432) ? 'postgres' : 'pglite'
}

let probe: Promise<boolean> | undefined

// One TCP probe per process: every test file asks, the answer does not change meanwhile.
async function listening (host: string, port: number): Promise<boolean> {
  probe ??= serverListening(host, port)
  return await probe
}

/** Whether a TCP connection to host:port opens (internal; exported for its test). */
export async function serverListening (host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return await new Promise<boolean>(resolve => {
    const socket = connect({ host, port })
    // Not the socket's own timeout: after a blocked event loop it would fire before a connect
    // that did happen is seen (lib/deadline.ts).
    const timer = deadline(timeoutMs, () => { done(false) })
    const done = (up: boolean): void => {
      timer.cancel()
      socket.destroy()
      resolve(up)
    }
    socket.once('connect', () => { done(true) })
    socket.once('error', () => { done(false) })
  })
}
