import type { Duplex } from 'node:stream'
import type pg from 'pg'
import type { ConnectionOptions } from 'node:tls'
import { Sequelize } from 'sequelize-typescript'
import type { Options as SequelizeOptions } from 'sequelize'
import { MODEL_CLASSES } from '../../models/index.js'
import { registerVectorTypes } from './vector-types.js'
import { isDebugEnabled, type Logger } from '../logger.js'
import type { ConnectionTarget } from '../credentials/target.js'
import type { PoolOptions } from '../types.js'
import { staticCredentials, type CredentialProvider } from '../credentials/provider.js'
import { createPgDriver, driverOpener, dropHandedOver, endHandedOver, handToPool, registerConnectionOpener, registerReplicaOpeners, type ConnectionOpener, type DedicatedConnection } from './pg-driver.js'
import { explainAcquireFailures } from './sequelize-internals.js'
import { deadline, type Deadline } from '../deadline.js'
import { tlsOptionsFor } from './tls.js'
import { DEFAULT_CONNECT_TIMEOUT_MS, defaultQueryTimeoutMs } from '../defaults.js'

export { DEFAULT_CONNECT_TIMEOUT_MS, defaultQueryTimeoutMs }

/** pg's `ssl` setting for a target: see tls.ts for how each sslmode is checked. */
function tlsOptions (target: ConnectionTarget): ConnectionOptions | false {
  return tlsOptionsFor(target.host, target.sslVerify ?? (target.ssl ? 'require' : 'disable'))
}

export interface CreateSequelizeOptions {
  target: ConnectionTarget
  /**
   * Login for every new connection (user name and password), asked per connection and asked to
   * recover once when PostgreSQL refuses the password (28P01). Default: `target.user` with `password`.
   */
  credentials?: CredentialProvider
  /** Fixed password for `target.user`, when no `credentials` are given. */
  password?: string | undefined
  pool: Required<PoolOptions>
  log: Logger
  /** Server-side `statement_timeout` in milliseconds; 0 means none. */
  statementTimeoutMs?: number
  /** Longest wait for one connection attempt (TCP, TLS and authentication), in ms. Default 5000. */
  connectTimeoutMs?: number
  /**
   * Client-side bound of one query, in ms; 0 for none. Default: {@link defaultQueryTimeoutMs}
   * of `statementTimeoutMs`.
   */
  queryTimeoutMs?: number
  /**
   * How each connection reaches the server instead of TCP (pg's `stream`): the embedded engine's
   * in-process streams. Used by the pool and by the migration lock's own connection alike.
   */
  stream?: () => Duplex
  /**
   * `'transaction'` behind a transaction-mode pooler: no session state per connection (no startup
   * `statement_timeout`, no `SET TIME ZONE` / `SET client_min_messages`), because the server
   * connection under it changes from one transaction to the next.
   */
  pooler?: 'transaction' | 'none'
  /**
   * Read replicas (same database, users and TLS settings as `target`): Sequelize's
   * `replication: { read, write }` sends SELECTs outside transactions to them, everything else to
   * `target`. A replica that cannot be reached is skipped for the next one, then the primary.
   */
  readReplicas?: ReadonlyArray<{ host: string, port: number }>
  /** Extra Sequelize options merged last (dialectOptions, hooks, …). */
  extra?: Partial<SequelizeOptions>
}

/**
 * Builds a Sequelize instance in repository mode with our four models: every instance gets its
 * own model classes, so two apps in one process never share a connection through a model.
 */
export function createSequelize (options: CreateSequelizeOptions): Sequelize {
  const sequelize = buildSequelize(options, buildDriver(options))
  sequelize.addModels([...MODEL_CLASSES])
  return sequelize
}

/** A Sequelize opened by {@link openSequelize}. */
export interface OpenedSequelize<T> {
  sequelize: Sequelize
  /** What `verify` returned (the plugin's: the verified connection, still open). */
  verified: T
  /**
   * Gives `verified` to the pool as its first connection (pg-driver's handToPool) and sets that
   * connection up in the background, once (later calls return the same promise). When the pool
   * has opened a connection already (migrations ran through it), `verified` is closed instead:
   * kept aside it would sit idle beside the pool's. Never rejects: a failure is logged and the
   * next query opens another. Closing the Sequelize before it settles could leave that connection
   * open: call {@link finishHandOver} first.
   */
  handOver: () => Promise<void>
  /**
   * Before closing: waits for the hand-over's set-up for up to `graceMs`, then drops the session
   * if that set-up is still running (its queries are unbounded with no queryTimeoutMs, so a host
   * gone silent since would hold close until TCP keepalive gives up), and ends it if the pool
   * never took it.
   */
  finishHandOver: (graceMs: number) => Promise<void>
}

/**
 * {@link createSequelize}, with the database verified by `verify`, which opens a connection of its
 * own through the same seam as the pool's (login, TLS, keepalive, bounds; e.g. with retries). When
 * `verify` fails, the Sequelize is closed again and its error thrown.
 *
 * Defining the models costs about 5 ms of CPU (four models, six associations); they are defined
 * while the server sets up that connection (backend start, authentication) instead of before it.
 * The pool's first connection is not set up here: on it Sequelize sends its session settings and
 * reads all of pg_type (7–12 ms on a new backend, measured 2026-12-04), which a service that found
 * its database and schema in order need not wait for before it is ready. The caller hands the
 * verified connection to the pool with {@link OpenedSequelize.handOver}: that set-up then runs on
 * the same session, in the background.
 */
export async function openSequelize<T extends DedicatedConnection> (options: CreateSequelizeOptions, verify: (open: ConnectionOpener) => Promise<T>): Promise<OpenedSequelize<T>> {
  let reached: () => void = () => {}
  const serverReached = new Promise<void>(resolve => { reached = resolve })
  const driver = buildDriver(options, () => { reached() })
  // The connection first: Sequelize is built while it is on its way.
  const verifying = verify(driver.open)
  // Settles either way: a failure is thrown below, where `verifying` is awaited.
  const settled = verifying.catch(() => {})
  let sequelize: Sequelize
  try {
    sequelize = buildSequelize(options, driver)
  } catch (err) {
    await verifying.then(async connection => { await connection.end() }, () => {})
    throw err
  }
  // A connection that fails before reaching the server (refused, unknown host) settles `verifying`.
  await Promise.race([serverReached, settled])
  sequelize.addModels([...MODEL_CLASSES])
  let verified: T
  try {
    verified = await verifying
  } catch (err) {
    await sequelize.close()
    throw err
  }
  // Once the app asks the pool for a connection, the first one is on its way without us; a
  // warm-up queued behind it (pool.max 1) would only hold the app's next query up.
  let asked = false
  const hook = 'fastify-coach-db:first-acquire'
  sequelize.addHook('beforePoolAcquire', hook, () => {
    asked = true
    sequelize.removeHook('beforePoolAcquire', hook)
  })
  let handing: Promise<void> | undefined
  let dropped = false
  const handOver = async (): Promise<void> => {
    if (handing === undefined) {
      // A connection that cannot be handed on (it broke meanwhile) is closed; the pool opens its own.
      handing = asked || !handToPool(verified)
        ? verified.end().catch(() => {})
        // From the next turn of the event loop: the caller (start-up) finishes first.
        : new Promise(resolve => setImmediate(resolve)).then(async () => {
          if (!asked) await sequelize.authenticate({ logging: false })
        }).catch((err: unknown) => {
          // Dropped on purpose by finishHandOver: closing, not a failure.
          if (!dropped) options.log.warn({ err }, `fastify-coach-db: the pool's first connection failed (${(err as Error).message}); the next query opens another`)
        })
    }
    await handing
  }
  const finishHandOver = async (graceMs: number): Promise<void> => {
    if (handing !== undefined) {
      let timer: Deadline | undefined
      const late = await Promise.race([handing.then(() => false), new Promise<boolean>(resolve => { timer = deadline(graceMs, () => { resolve(true) }) })])
      timer?.cancel()
      if (late) {
        dropped = true
        dropHandedOver(driver.driver)
        await handing
      }
    }
    await endHandedOver(driver.driver)
  }
  return { sequelize, verified, handOver, finishHandOver }
}

/** How the connections of one Sequelize open: its `dialectModule` and an opener for connections outside the pool. */
interface Driver {
  driver: typeof pg
  /** Connections outside the pool (start-up's check, the migration lock). */
  open: ConnectionOpener
  credentials: CredentialProvider
}

function buildDriver (options: CreateSequelizeOptions, onServerReached?: () => void): Driver {
  const { target, log } = options
  const credentials = options.credentials ?? staticCredentials(target.user, options.password)
  // The one seam for how a connection opens: login per connection, 28P01, keepalive, timeouts.
  const replicas = options.readReplicas ?? []
  const driver = createPgDriver({
    credentials,
    queryTimeoutMs: options.queryTimeoutMs ?? defaultQueryTimeoutMs(options.statementTimeoutMs ?? 0),
    log,
    ...(replicas.length > 0 ? { readReplicas: { hosts: replicas, primary: { host: target.host, port: target.port } } } : {}),
    ...(onServerReached !== undefined ? { onServerReached } : {})
  })
  // Opened the same way and with the same start-up parameters as the pool's connections.
  const open = driverOpener(driver, {
    host: target.host,
    port: target.port,
    database: target.database,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: 'fastify-coach-db',
    ...(options.statementTimeoutMs && options.pooler !== 'transaction' ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(target.ssl ? { ssl: tlsOptions(target) } : {}),
    ...(options.stream !== undefined ? { stream: options.stream } : {})
  })
  return { driver, open, credentials }
}

function buildSequelize (options: CreateSequelizeOptions, { driver, open, credentials }: Driver): Sequelize {
  registerVectorTypes()
  const { target, pool, log } = options
  const replicas = options.readReplicas ?? []
  const primary = { host: target.host, port: target.port }
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const pooled = options.pooler === 'transaction'
  const sequelize = new Sequelize({
    dialect: 'postgres',
    dialectModule: driver,
    host: target.host,
    port: target.port,
    database: target.database,
    // Shown by the decorator's summary; the login itself comes from `credentials` per connection,
    // so no password sits in Sequelize's config.
    username: target.user,
    dialectOptions: {
      ...(target.ssl ? { ssl: tlsOptions(target) } : {}),
      // Behind a pooler the startup parameter would reach one server connection only (PgBouncer
      // refuses or ignores it): set it on the role instead (ALTER ROLE … SET statement_timeout).
      ...(options.statementTimeoutMs && !pooled ? { statement_timeout: options.statementTimeoutMs } : {}),
      ...(pooled ? { clientMinMessages: 'ignore' } : {}),
      // Without it a host that drops packets holds each attempt for the kernel's TCP timeout
      // (minutes), and connectRetry's budget means nothing.
      connectionTimeoutMillis: connectTimeoutMs,
      application_name: 'fastify-coach-db',
      ...(options.stream !== undefined ? { stream: options.stream } : {})
    },
    pool: { max: pool.max, min: pool.min, acquire: pool.acquire, idle: pool.idle },
    // Reads (SELECT outside a transaction, without useMaster) round-robin over the replicas.
    ...(replicas.length > 0 ? { replication: { read: replicas.map(r => ({ host: r.host, port: r.port })), write: primary } } : {}),
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
    // Sequelize's per-connection SET TIME ZONE would leak into other clients' transactions behind
    // a pooler; timestamptz values carry their offset, so the server's zone is as good.
    ...(pooled ? { keepDefaultTimezone: true } : {}),
    repositoryMode: true,
    define: { underscored: true },
    ...options.extra
  })
  explainAcquireFailures(sequelize, pool, target)
  // The migration lock's connection, outside the pool.
  registerConnectionOpener(sequelize, open)
  if (replicas.length > 0) {
    // A driver without read fallback: a health check of a replica must not answer from the primary.
    const direct = createPgDriver({ credentials, queryTimeoutMs: connectTimeoutMs, log })
    registerReplicaOpeners(sequelize, replicas.map(r => ({
      node: `${r.host}:${r.port}`,
      open: driverOpener(direct, { host: r.host, port: r.port, database: target.database, connectionTimeoutMillis: connectTimeoutMs, application_name: 'fastify-coach-db', ...(target.ssl ? { ssl: tlsOptionsFor(r.host, target.sslVerify ?? 'require') } : {}) })
    })))
  }
  return sequelize
}
