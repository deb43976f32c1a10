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
export async function buildApp (t: Test, options: CoachDbOptions, logger: Record<string, unknown> | boolean = false, routes?: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify({ logger })
  t.teardown(async () => { await app.close() })
  await app.register(dbPlugin, options)
  routes?.(app)
  await app.ready()
  return app
}
