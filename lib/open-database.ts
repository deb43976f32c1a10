import type { Sequelize } from 'sequelize-typescript'
import type { ResolvedOptions } from './options.js'
import { resolveCredentials } from './credentials/index.js'
import { isEmbeddedUrl } from './engine/url.js'
import { createSequelize, openSequelize } from './connection/create-sequelize.js'
import { HAND_OVER_GRACE_MS } from './defaults.js'
import { connectWithRetry } from './connection/connect.js'
import { describeTarget, parseConnectionString, type ConnectionTarget } from './credentials/target.js'
import { staticCredentials, type CredentialProvider } from './credentials/provider.js'
import type { Logger } from './logger.js'
import type { DedicatedConnection } from './connection/pg-driver.js'

/** A connected Sequelize and how to close everything opened for it. */
export interface OpenedDatabase {
  sequelize: Sequelize
  /**
   * A small Sequelize on the direct URL (`directUrl`, `DIRECT_DATABASE_URL`, secret `directHost`)
   * for migrations and the migration lock, when one is configured.
   */
  direct?: Sequelize
  /** Whether `sequelize` goes through a transaction-mode pooler (option `pooler`, or an RDS Proxy host). */
  pooled: boolean
  /**
   * The connection start-up verified the database with, open, for reads before the pool is set
   * up (the plugin's read of the meta table); {@link handOver} gives it to the pool.
   */
  connection: DedicatedConnection
  /**
   * Hands {@link connection} to the pool, whose first connection it becomes (no second login),
   * and sets that connection up in the background (Sequelize's session settings and pg_type read,
   * ≈ 10 ms) so the first query need not wait for it; a failure is logged. When the pool is open
   * already (migrations ran through it), {@link connection} is closed instead. `close` waits for it.
   */
  handOver: () => void
  /** Closes the pool, then the embedded engine when there is one. */
  close: () => Promise<void>
}

/** Start-up's hold on {@link openDatabase}: a budget to stop at and a way to follow progress. */
export interface OpenStartup {
  /** Aborted when start-up's budget ran out: the secret read and further connection attempts stop. */
  signal?: AbortSignal
  /** Told which step is under way, for the timeout's message. */
  step?: (name: 'reading the secret' | 'connecting to the database') => void
}

/**
 * Opens the database the resolved options point at, for the plugin and the CLI alike: starts an
 * embedded engine for `pglite://`, reads the credentials, connects with retries. On failure,
 * whatever was opened is closed again before the error is thrown.
 */
export async function openDatabase (options: ResolvedOptions, log: Logger, startup: OpenStartup = {}): Promise<OpenedDatabase> {
  const { signal, step } = startup
  // pglite:// starts an in-process engine first; from there on it is an ordinary postgres:// URL.
  // The engine and the IAM signer are imported only when used: an app on PostgreSQL with a
  // password never loads them (cold start, #12).
  const embedded = isEmbeddedUrl(options.connectionString) ? await (await import('./engine/index.js')).startEmbedded(options.connectionString, log, { statementTimeoutMs: options.statementTimeoutMs }) : undefined
  try {
    if (options.secretId !== undefined && options.connectionString === undefined) step?.('reading the secret')
    const resolved = await resolveCredentials(embedded === undefined ? options : { ...options, connectionString: embedded.connectionString }, log, { signal })
    // IAM authentication: the user and endpoint from the URL or secret, a signed token as the password.
    const iam = options.iamAuth === false ? undefined : { signFor: options.iamAuth, ...await import('./credentials/iam.js') }
    if (iam !== undefined) resolved.credentials.close()
    const credentials = iam !== undefined ? { ...resolved, credentials: iam.iamCredentials({ target: resolved.target, signFor: iam.signFor, ...(options.region !== undefined ? { region: options.region } : {}) }) } : resolved
    step?.('connecting to the database')
    const replicas = options.readReplicas.length > 0 ? options.readReplicas : credentials.readReplicas ?? []
    const pooled = options.pooler === 'transaction' || (options.pooler === undefined && isRdsProxyHost(credentials.target.host))
    const { sequelize, verified, handOver, finishHandOver } = await openSequelize(
      { target: credentials.target, credentials: credentials.credentials, pool: options.pool, log, statementTimeoutMs: options.statementTimeoutMs, queryTimeoutMs: options.queryTimeoutMs, connectTimeoutMs: options.connectTimeoutMs, pooler: pooled ? 'transaction' : 'none', readReplicas: replicas, ...(embedded !== undefined ? { stream: embedded.stream } : {}) },
      async (open) => await connectWithRetry(open, credentials.target, options.connectRetry, log, signal).catch((err: unknown) => {
        throw iam !== undefined ? iam.explainIamRefusal(err, credentials.target, iam.signFor, options.region) : err
      })
    ).catch((err: unknown) => {
      credentials.credentials.close()
      throw err
    })
    const closePool = async (): Promise<void> => {
      await verified.end()
      // Closing the pool while its first connection is still being set up would leave it open.
      await finishHandOver(HAND_OVER_GRACE_MS)
      await sequelize.close()
    }
    let direct: Sequelize | undefined
    let directCredentials: CredentialProvider | undefined
    try {
      const directTarget: { target: ConnectionTarget, credentials: CredentialProvider } | undefined = options.directUrl !== undefined
        ? directFromUrl(options.directUrl)
        : credentials.directTarget !== undefined
          ? { target: credentials.directTarget, credentials: credentials.credentials }
          // With read replicas the pool sends SELECTs to them: the migrator's reads of the meta
          // table must see the primary, so migrations get a primary-only Sequelize.
          : replicas.length > 0 ? { target: credentials.target, credentials: credentials.credentials } : undefined
      if (directTarget !== undefined) {
        if (directTarget.credentials !== credentials.credentials) directCredentials = directTarget.credentials
        // Migrations run one at a time, plus the lock's own connection: two is plenty.
        direct = createSequelize({ target: directTarget.target, credentials: directTarget.credentials, pool: { ...options.pool, max: 2, min: 0 }, log, statementTimeoutMs: options.statementTimeoutMs, queryTimeoutMs: options.queryTimeoutMs, connectTimeoutMs: options.connectTimeoutMs })
        log.info({ target: describeTarget(directTarget.target) }, `fastify-coach-db: migrations and the migration lock use the direct connection ${describeTarget(directTarget.target)}`)
      }
    } catch (err) {
      await closePool()
      await direct?.close()
      credentials.credentials.close()
      directCredentials?.close()
      throw err
    }
    const where = describeTarget(credentials.target)
    log.info({ source: credentials.source, target: where }, `fastify-coach-db: connected to ${where} (credentials from ${credentials.source})`)
    return {
      sequelize,
      ...(direct !== undefined ? { direct } : {}),
      connection: verified,
      pooled,
      handOver: () => { void handOver() },
      close: async () => {
        try {
          await closePool()
          await direct?.close()
        } finally {
          directCredentials?.close()
          // The SDK client of a secret goes with the pool that used it.
          credentials.credentials.close()
          await embedded?.close()
        }
      }
    }
  } catch (err) {
    await embedded?.close()
    throw err
  }
}

/** RDS Proxy endpoints: `<name>.proxy-<id>.<region>.rds.amazonaws.com` (a transaction-multiplexing pooler). */
export function isRdsProxyHost (host: string): boolean {
  return /\.proxy-[^.]+\.[^.]+\.rds\.amazonaws\.com(\.cn)?\.?$/i.test(host)
}

function directFromUrl (url: string): { target: ConnectionTarget, credentials: CredentialProvider } {
  const { target, password } = parseConnectionString(url, 'directUrl')
  return { target, credentials: staticCredentials(target.user, password) }
}
