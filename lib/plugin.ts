import { inspect } from 'node:util'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Sequelize } from 'sequelize-typescript'
import { resolveOptions, type ResolvedOptions } from './options.js'
import { resolveCredentials } from './credentials/index.js'
import { createSequelize } from './connection/create-sequelize.js'
import { connectWithRetry } from './connection/connect.js'
import { explainPoolExhaustion } from './connection/pool-errors.js'
import { describeTarget } from './connection/target.js'
import type { Logger } from './connection/logger.js'
import { registerVectorTypes } from './connection/vector-types.js'
import { Migrator } from './migrator/migrator.js'
import { isEmbeddedUrl, startEmbedded } from './engine/index.js'
import { MODEL_CLASSES, type Models } from '../models/index.js'
import type { CoachDb, CoachDbOptions } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** fastify-coach-db: Sequelize, the models and the migrator. */
    db: CoachDb
  }
}

async function fastifyCoachDb (fastify: FastifyInstance, opts: CoachDbOptions): Promise<void> {
  let options = resolveOptions(opts)
  const log = fastify.log
  // pglite:// starts an in-process engine first; from there on it is an ordinary postgres:// URL.
  const embedded = isEmbeddedUrl(options.connectionString) ? await startEmbedded(options.connectionString, log) : undefined
  if (embedded !== undefined) {
    options = { ...options, connectionString: embedded.connectionString }
  }
  const { sequelize, owned } = await openSequelize(options, log).catch(async (err: unknown) => {
    await embedded?.close()
    throw err
  })
  try {
    const migrator = new Migrator(sequelize, {
      migrationsDir: options.migrationsDir,
      lock: options.migrationLock,
      lockTimeout: options.lockTimeout,
      acceptEdited: options.acceptEditedMigrations,
      log
    })
    if (options.migrate) await migrator.up()
    fastify.decorate('db', createDecorator(sequelize, bindModels(sequelize), migrator))
  } catch (err) {
    if (owned) await sequelize.close()
    await embedded?.close()
    throw err
  }
  // Close only what this plugin opened, pool before the engine it talks to.
  fastify.addHook('onClose', async () => {
    if (owned) {
      await sequelize.close()
      log.debug('fastify-coach-db: connection pool closed')
    }
    await embedded?.close()
  })
}

async function openSequelize (options: ResolvedOptions, log: Logger): Promise<{ sequelize: Sequelize, owned: boolean }> {
  if (options.sequelize !== undefined) {
    registerVectorTypes()
    addModelsOnce(options.sequelize)
    log.info('fastify-coach-db: using the Sequelize instance passed in "sequelize" (the plugin will not close it)')
    return { sequelize: options.sequelize, owned: false }
  }
  const credentials = await resolveCredentials(options, log)
  const sequelize = createSequelize({ target: credentials.target, password: credentials.password, pool: options.pool, log, statementTimeoutMs: options.statementTimeoutMs, connectTimeoutMs: options.connectTimeoutMs })
  explainPoolExhaustion(sequelize, options.pool)
  try {
    await connectWithRetry(sequelize, credentials.target, options.connectRetry, log)
  } catch (err) {
    await sequelize.close()
    throw err
  }
  log.info({ source: credentials.source, target: describeTarget(credentials.target) }, `fastify-coach-db: connected to ${describeTarget(credentials.target)} (credentials from ${credentials.source})`)
  return { sequelize, owned: true }
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
function createDecorator (sequelize: Sequelize, models: Models, migrator: Migrator): CoachDb {
  const summary = (): string => {
    const { host, port, database, username } = sequelize.config
    return `CoachDb { ${username}@${host}:${port}/${database}, models: ${Object.keys(models).join(', ')} }`
  }
  return Object.freeze({
    sequelize,
    models,
    migrator,
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
