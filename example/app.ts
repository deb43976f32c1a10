import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { validatorCompiler } from './validation.js'
import dbPlugin, { type CoachDbOptions } from '../lib/index.js'
import { registerErrorHandler } from './http-errors.js'
import { healthRoutes } from './routes/health.js'
import { userRoutes } from './routes/users.js'
import { messageRoutes } from './routes/messages.js'
import { sharedRoutes } from './routes/shared.js'

/** Options of {@link buildExampleApp}. */
export interface ExampleAppOptions {
  /** `postgres://…` or `pglite://memory` / `pglite://<directory>`. */
  connectionString: string
  /** Fastify's logger option. Default: off. */
  logger?: FastifyServerOptions['logger']
  /** Passed to the plugin as they are (pool, statementTimeoutMs, …). */
  db?: Omit<CoachDbOptions, 'connectionString'>
}

/**
 * The example service: the plugin registered the way an app would (migrations applied on
 * start), its routes and one error handler. Returns the app ready, not listening.
 */
export async function buildExampleApp (options: ExampleAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024
  })
  app.setValidatorCompiler(validatorCompiler)
  try {
    await app.register(dbPlugin, { migrate: true, healthRoutes: true, ...options.db, connectionString: options.connectionString })
    registerErrorHandler(app)
    await app.register(healthRoutes)
    await app.register(userRoutes)
    await app.register(messageRoutes)
    await app.register(sharedRoutes)
    await app.ready()
  } catch (err) {
    await app.close().catch(() => {})
    throw err
  }
  return app
}
