import type { Sequelize } from 'sequelize-typescript'
import type { ResolvedOptions } from '../options.js'
import { resolveCredentials } from '../credentials/index.js'
import { isEmbeddedUrl, startEmbedded } from '../engine/index.js'
import { createSequelize } from './create-sequelize.js'
import { connectWithRetry } from './connect.js'
import { explainPoolExhaustion } from './pool-errors.js'
import { describeTarget } from './target.js'
import type { Logger } from './logger.js'

/** A connected Sequelize and how to close everything opened for it. */
export interface OpenedDatabase {
  sequelize: Sequelize
  /** Closes the pool, then the embedded engine when there is one. */
  close: () => Promise<void>
}

/**
 * Opens the database the resolved options point at, for the plugin and the CLI alike: starts an
 * embedded engine for `pglite://`, reads the credentials, connects with retries. On failure,
 * whatever was opened is closed again before the error is thrown.
 */
export async function openDatabase (options: ResolvedOptions, log: Logger): Promise<OpenedDatabase> {
  // pglite:// starts an in-process engine first; from there on it is an ordinary postgres:// URL.
  const embedded = isEmbeddedUrl(options.connectionString) ? await startEmbedded(options.connectionString, log, { statementTimeoutMs: options.statementTimeoutMs }) : undefined
  try {
    const credentials = await resolveCredentials(embedded === undefined ? options : { ...options, connectionString: embedded.connectionString }, log)
    const sequelize = createSequelize({ target: credentials.target, password: credentials.password, pool: options.pool, log, statementTimeoutMs: options.statementTimeoutMs, connectTimeoutMs: options.connectTimeoutMs })
    explainPoolExhaustion(sequelize, options.pool)
    // The embedded engine listens on no port: each connection is an in-process stream (pg's `stream`).
    if (embedded !== undefined) sequelize.addHook('beforeConnect', (config) => { Object.assign(config, { dialectOptions: { ...(config as { dialectOptions?: object }).dialectOptions, stream: embedded.stream } }) })
    try {
      await connectWithRetry(sequelize, credentials.target, options.connectRetry, log)
    } catch (err) {
      await sequelize.close()
      throw err
    }
    const where = describeTarget(credentials.target)
    log.info({ source: credentials.source, target: where }, `fastify-coach-db: connected to ${where} (credentials from ${credentials.source})`)
    return {
      sequelize,
      close: async () => {
        await sequelize.close()
        await embedded?.close()
      }
    }
  } catch (err) {
    await embedded?.close()
    throw err
  }
}
