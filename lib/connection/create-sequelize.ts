import { Sequelize } from 'sequelize-typescript'
import type { Options as SequelizeOptions } from 'sequelize'
import { MODEL_CLASSES } from '../../models/index.js'
import { registerVectorTypes } from './vector-types.js'
import { isDebugEnabled, type Logger } from './logger.js'
import type { ConnectionTarget } from './target.js'
import type { PoolOptions } from '../types.js'
import { isRotating, type RotatingCredentials } from '../credentials/rotating.js'
import { retryRefusedPasswordOnce } from './connect.js'

export interface CreateSequelizeOptions {
  target: ConnectionTarget
  /**
   * Password for every new connection; a function is called per connection. Rotating
   * credentials also set the user name per connection and are fetched again once when
   * PostgreSQL refuses the password (28P01).
   */
  password: string | undefined | (() => Promise<string>) | RotatingCredentials
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
    // Timing every query costs a clock read and a formatted string each; only pay when logged.
    benchmark: isDebugEnabled(log),
    // We support PostgreSQL 15+ (and PGlite); naming the version spares Sequelize a probe
    // connection (connect, SHOW server_version, disconnect) on every start-up. Sequelize reads
    // this option but its typings do not declare it.
    ...({ databaseVersion: '15.0.0' } as object),
    repositoryMode: true,
    define: { underscored: true },
    ...options.extra
  })
  const password = options.password
  if (typeof password === 'function') {
    sequelize.addHook('beforeConnect', async (config) => {
      (config as { password?: string }).password = await password()
    })
  } else if (isRotating(password)) {
    useRotatingCredentials(sequelize, password, log)
  }
  sequelize.addModels([...MODEL_CLASSES])
  return sequelize
}

// Sequelize reads the user name and password for each new connection from `config` after
// `beforeConnect`, so a rotated secret reaches new connections while open ones carry on.
function useRotatingCredentials (sequelize: Sequelize, credentials: RotatingCredentials, log: Logger): void {
  sequelize.addHook('beforeConnect', async (config) => {
    const { username, password } = await credentials.current()
    Object.assign(config, { username, password })
  })
  retryRefusedPasswordOnce(sequelize, credentials, log)
  // The plugin and the CLI both close Sequelize; the SDK client goes with it.
  const close = sequelize.close.bind(sequelize)
  sequelize.close = async () => {
    try {
      await close()
    } finally {
      credentials.close()
    }
  }
}
