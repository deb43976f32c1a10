import { inspect } from 'node:util'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Sequelize } from 'sequelize-typescript'
import { migratorOptions, resolveOptions } from './options.js'
import { OptionsError } from './errors.js'
import type { Logger } from './logger.js'
import { registerVectorTypes } from './connection/vector-types.js'
import { Migrator } from './migrator/migrator.js'
import { defaultMigrationFolders } from './migrator/folders.js'
import { MODEL_CLASSES, type Models } from '../models/index.js'
import type { CoachDbOptions } from './types.js'
import type { CoachDb } from './decoration.js'
import { openDatabase } from './open-database.js'
import { startupBudgetMs, stepWatchingLogger, withinStartupBudget } from './startup-budget.js'
import { registerRequestTransactions } from './request-transaction.js'
import { createHealthCheck, registerHealthRoutes } from './health.js'
import { registerSessionCleanup } from './session-cleanup.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** fastify-coach-db: Sequelize, the models and the migrator. */
    db: CoachDb
  }
}

async function fastifyCoachDb (fastify: FastifyInstance, opts: CoachDbOptions): Promise<void> {
  const options = resolveOptions(opts)
  const log = fastify.log
  // Every wait of start-up (secret, connecting, migration lock, migrations) fits inside Fastify's
  // pluginTimeout, so the error that ends it is ours and names what to change.
  const pluginTimeout = fastify.initialConfig.pluginTimeout
  const budget = startupBudgetMs(pluginTimeout)
  // The migration folders (the app's package.json, found upwards) are looked up while connecting.
  const folders = options.migrate && options.migrationsDir === undefined ? defaultMigrationFolders() : undefined
  folders?.catch(() => {})
  const { opened, sequelize, migrator } = await withinStartupBudget(pluginTimeout, async (signal, step) => {
    const opened = options.sequelize === undefined ? await openDatabase(options, log, { signal, step }) : undefined
    const sequelize = opened?.sequelize ?? adoptSequelize(options.sequelize as Sequelize, log)
    try {
      signal.throwIfAborted()
      if (opened?.pooled === true && opened.direct === undefined && options.migrate && options.migrationLock !== false) {
        throw new OptionsError('The database URL goes through a transaction-mode pooler (RDS Proxy or PgBouncer, option "pooler"), where the session-level migration lock cannot be held. Set "directUrl" (env DIRECT_DATABASE_URL, or "directHost" in the secret) to the primary itself for migrations, or run migrations elsewhere (npx coach-db migrate against the primary) and drop "migrate: true".')
      }
      // Migrations and their lock go to the primary directly when a direct URL is configured.
      const migrator = new Migrator(opened?.direct ?? sequelize, {
        ...migratorOptions(options),
        ...(folders !== undefined ? { migrationsDir: (await folders).dirs } : {}),
        // The lock wait ends shortly after start-up's budget instead of holding a connection on.
        lockTimeout: options.migrate && budget !== undefined ? Math.min(options.lockTimeout, budget + 1_000) : options.lockTimeout,
        log: options.migrate ? stepWatchingLogger(log, step) : log
      })
      if (options.migrate) {
        step('running migrations')
        // Read on the connection that verified the database: ready does not wait for the pool's
        // first connection to be set up (a direct URL for migrations is another database).
        await migrator.up(opened !== undefined && opened.direct === undefined ? { connection: opened.connection } : {})
      }
      return { opened, sequelize, migrator }
    } catch (err) {
      await opened?.close()
      throw err
    }
  }, async ({ opened }) => { await opened?.close() })
  try {
    const health = createHealthCheck(sequelize, migrator, options.healthTimeoutMs)
    fastify.decorate('db', createDecorator(sequelize, bindModels(sequelize), migrator, health))
    registerRequestTransactions(fastify, sequelize)
    if (options.healthRoutes !== false) registerHealthRoutes(fastify, health, options.healthRoutes)
    if (options.sessionCleanup !== false) registerSessionCleanup(fastify, sequelize, fastify.db.models.Session, options.sessionCleanup, log)
  } catch (err) {
    await opened?.close()
    throw err
  }
  // After start-up's own reads, so they do not share the server and this thread with it.
  opened?.handOver()
  // Close only what this plugin opened: a Sequelize passed in belongs to its owner.
  if (opened !== undefined) {
    fastify.addHook('onClose', async () => {
      await opened.close()
      log.debug('fastify-coach-db: connection pool closed')
    })
  }
}

function adoptSequelize (sequelize: Sequelize, log: Logger): Sequelize {
  registerVectorTypes()
  addModelsOnce(sequelize)
  log.info('fastify-coach-db: using the Sequelize instance passed in "sequelize" (the plugin will not close it)')
  return sequelize
}

function addModelsOnce (sequelize: Sequelize): void {
  const missing = MODEL_CLASSES.filter(model => !sequelize.isDefined(model.name))
  if (missing.length > 0) sequelize.addModels([...missing])
}

/** The per-instance copies of the models (repository mode), or the classes themselves otherwise. */
function bindModels (sequelize: Sequelize): Models {
  const [User, Session, Conversation, Message] = MODEL_CLASSES.map(model => sequelize.model(model.name))
  return { User, Session, Conversation, Message } as unknown as Models
}

// The decorator is often logged or inspected while debugging; Sequelize's config holds the
// password, so inspection shows only what is safe.
function createDecorator (sequelize: Sequelize, models: Models, migrator: Migrator, health: CoachDb['health']): CoachDb {
  const summary = (): string => {
    const { host, port, database, username } = sequelize.config
    return `CoachDb { ${username}@${host}:${port}/${database}, models: ${Object.keys(models).join(', ')} }`
  }
  return Object.freeze({
    sequelize,
    models,
    migrator,
    health,
    toString: summary,
    toJSON: summary,
    [inspect.custom]: summary
  })
}

/**
 * The plugin. Register it once per app:
 * `await app.register(dbPlugin, { connectionString: process.env.DATABASE_URL, migrate: true })`.
 */
export default fp(fastifyCoachDb, { name: 'fastify-coach-db', fastify: '5.x' })
