import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import dbPlugin from '../../lib/index.js'
import type { CoachDbOptions } from '../../lib/index.js'
import { createTestDatabase, type TestDatabase } from '../../lib/testing/database.js'

/** A fresh database for this test file, dropped at teardown. */
export async function freshDatabase (t: Test, options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const db = await createTestDatabase(options)
  t.teardown(db.drop)
  return db
}

/** A Fastify app with the plugin registered, `routes` added, and ready; closed at teardown. */
export async function buildApp (t: Test, options: CoachDbOptions, logger: Record<string, unknown> | boolean = false, routes?: (app: FastifyInstance) => void, pluginTimeout?: number): Promise<FastifyInstance> {
  // Booting PGlite, or migrating, inside register takes several seconds on 2 busy cores (a dozen
  // test files at once): give apps the room an app on such a machine would configure. The tests
  // about the bound itself build their own app (test/startup-timeout.test.ts).
  const app = Fastify({ logger, pluginTimeout: pluginTimeout ?? 60_000 })
  t.teardown(async () => { await app.close() })
  // The health check's default bound (2 s) has passed under the suite's load (a dozen files at
  // once on 2 cores); tests about the bound pass their own.
  await app.register(dbPlugin, { healthTimeoutMs: 15_000, ...options })
  routes?.(app)
  await app.ready()
  return app
}

/** Host, port and database of a test database URL: what an RDS-style secret for it holds. */
export function serverOf (url: string): { host: string, port: number, dbname: string } {
  const parsed = new URL(url)
  return { host: parsed.hostname, port: Number(parsed.port || 5432), dbname: decodeURIComponent(parsed.pathname.slice(1)) }
}

/** The error `register` + `ready` fail with for these options (the app is closed either way). */
export async function registrationError (options: unknown, logger: Record<string, unknown> | boolean = false): Promise<Error> {
  const app = Fastify({ logger })
  try {
    await app.register(dbPlugin, options as CoachDbOptions)
    await app.ready()
  } catch (err) {
    return err as Error
  } finally {
    await app.close()
  }
  throw new Error('expected register to fail')
}
