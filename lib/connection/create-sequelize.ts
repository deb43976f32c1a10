import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import { Sequelize } from 'sequelize-typescript'
import type { Options as SequelizeOptions } from 'sequelize'
import { MODEL_CLASSES } from '../../models/index.js'
import { registerVectorTypes } from './vector-types.js'
import { isDebugEnabled, type Logger } from './logger.js'
import type { ConnectionTarget } from './target.js'
import type { PoolOptions } from '../types.js'
import { isRotating, type RotatingCredentials } from '../credentials/rotating.js'
import { retryRefusedPasswordOnce } from './connect.js'

/** Default longest wait for one connection attempt, in ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000

/**
 * TLS settings for pg, following libpq's sslmode: `require` encrypts without checking the
 * certificate; `verify-ca` checks the chain, `verify-full` the chain and the host name. The CA
 * bundle is the system's, or the file named by PGSSLROOTCERT.
 */
function tlsOptions (target: ConnectionTarget): ConnectionOptions {
  if (target.sslVerify === undefined) return { rejectUnauthorized: false }
  const ca = process.env.PGSSLROOTCERT !== undefined ? readFileSync(process.env.PGSSLROOTCERT, 'utf8') : undefined
  return {
    rejectUnauthorized: true,
    ...(ca !== undefined ? { ca } : {}),
    ...(target.sslVerify === 'verify-ca' ? { checkServerIdentity: () => undefined } : {})
  }
}

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
  /** Longest wait for one connection attempt (TCP, TLS and authentication), in ms. Default 5000. */
  connectTimeoutMs?: number
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
      ...(target.ssl ? { ssl: tlsOptions(target) } : {}),
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
      // Without it a host that drops packets holds each attempt for the kernel's TCP timeout
      // (minutes), and connectRetry's budget means nothing.
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
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
