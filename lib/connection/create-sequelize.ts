import { Sequelize } from 'sequelize-typescript'
import type { Options as SequelizeOptions } from 'sequelize'
import { MODEL_CLASSES } from '../../models/index.js'
import { registerVectorTypes } from './vector-types.js'
import { isDebugEnabled, type Logger } from './logger.js'
import type { ConnectionTarget } from './target.js'
import type { PoolOptions } from '../types.js'

export interface CreateSequelizeOptions {
  target: ConnectionTarget
  /** Password for every new connection; a function is called per connection (rotation). */
  password: string | undefined | (() => Promise<string>)
  pool: Required<PoolOptions>
  log: Logger
  /** Server-side `statement_timeout` in milliseconds; 0 means none. */
  statementTimeoutMs?: number
  /** Extra Sequelize options merged last (dialectOptions, hooks, …). */
  extra?: Partial<SequelizeOptions>
}

/**
 * Builds a Sequelize instance in repository mode with our four models: every instance gets its
 * own model classes, so two apps in one process never share a connection through a model.
 */
export function createSequelize (options: CreateSequelizeOptions): Sequelize {
  registerVectorTypes()
  const { target, pool, log } = options
  const sequelize = new Sequelize({
    dialect: 'postgres',
    host: target.host,
    port: target.port,
    database: target.database,
    username: target.user,
    password: typeof options.password === 'string' ? options.password : undefined,
    dialectOptions: {
      ...(target.ssl ? { ssl: { rejectUnauthorized: false } } : {}),
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
      application_name: 'fastify-coach-db'
    },
    pool: { max: pool.max, min: pool.min, acquire: pool.acquire, idle: pool.idle },
    // Sequelize's own retry re-runs failed *queries*; connection start-up is retried by connectWithRetry.
    retry: { max: 0 },
    logging: isDebugEnabled(log)
      ? (sql: string, timing?: number) => { log.debug({ durationMs: timing }, sql) }
      : false,
    benchmark: true,
    repositoryMode: true,
    define: { underscored: true },
    ...options.extra
  })
  const password = options.password
  if (typeof password === 'function') {
    sequelize.addHook('beforeConnect', async (config) => {
      (config as { password?: string }).password = await password()
    })
  }
  sequelize.addModels([...MODEL_CLASSES])
  return sequelize
}
