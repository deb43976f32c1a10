import { createRequire } from 'node:module'
import { BaseError, ConnectionAcquireTimeoutError, Sequelize as BaseSequelize, ConnectionError as SequelizeConnectionError } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { CoachDbError, ConnectionError } from '../errors.js'
import type { PoolOptions } from '../types.js'
import type { ConnectionTarget } from '../credentials/target.js'
import { PoolExhaustedError } from './pool-errors.js'

// Every use of Sequelize's private surface lives in this file. How connections open is public
// (`dialectModule`, see pg-driver.ts); what is left: turning the pool's acquire failures into our
// errors, reading the pool's figures, pinning the pool to one connection for test isolation
// (lib/testing/isolation), reading which CLS namespace Sequelize uses (transaction-scope.ts) and
// the SQL a query object sent (the migrator's plan, through the public `afterQuery` hook).
// Sequelize offers no public hook for any of them.

/** Sequelize majors whose private surface below was checked. */
const SUPPORTED_MAJOR = 6

interface ConnectionManagerInternals {
  getConnection: (options?: unknown) => Promise<unknown>
  releaseConnection: (connection: unknown) => unknown
  destroyConnection: (connection: unknown) => Promise<unknown>
}

/** The connection manager methods this file calls or replaces, checked at start-up. */
const MANAGER_METHODS = ['getConnection', 'releaseConnection', 'destroyConnection'] as const

/** The installed Sequelize's version, e.g. `6.37.8`. */
export function sequelizeVersion (): string {
  const require = createRequire(import.meta.url)
  return (require('sequelize/package.json') as { version: string }).version
}

/**
 * Throws a clear error when the installed Sequelize does not have the private surface this file
 * uses (a major upgrade, a refactor in a minor). Run once per Sequelize instance at start-up.
 */
export function checkSequelizeInternals (sequelize: Sequelize, version = sequelizeVersion()): void {
  const manager = (sequelize as unknown as { connectionManager?: Partial<ConnectionManagerInternals> }).connectionManager
  const major = Number(version.split('.')[0])
  const method = MANAGER_METHODS.find(name => typeof manager?.[name] !== 'function')
  const missing = method !== undefined ? `connectionManager.${method}` : undefined
  if (major !== SUPPORTED_MAJOR || missing !== undefined) {
    throw new CoachDbError('ERR_COACH_DB_SEQUELIZE_VERSION', `fastify-coach-db supports Sequelize ${SUPPORTED_MAJOR}.x, but Sequelize ${version} is installed${missing !== undefined ? ` and has no ${missing}` : ''}. Install sequelize@${SUPPORTED_MAJOR} (npm install sequelize@${SUPPORTED_MAJOR}).`)
  }
}

/**
 * Failures to get a pool connection become ours: a full pool is a {@link PoolExhaustedError};
 * a connection that could not be opened is a {@link ConnectionError} naming the target, with
 * Sequelize's error (and the driver's inside it) as `cause`.
 */
export function explainAcquireFailures (sequelize: Sequelize, pool: Required<PoolOptions>, target?: ConnectionTarget): void {
  checkSequelizeInternals(sequelize)
  const manager = sequelize.connectionManager as unknown as ConnectionManagerInternals
  const getConnection = manager.getConnection.bind(manager)
  manager.getConnection = async (options?: unknown) => {
    try {
      return await getConnection(options)
    } catch (err) {
      if (err instanceof ConnectionAcquireTimeoutError) throw new PoolExhaustedError(pool, err)
      if (target !== undefined && err instanceof SequelizeConnectionError) {
        const reason = (err as { parent?: Error }).parent?.message ?? err.message
        throw new ConnectionError(`Could not open a new database connection to ${target.host}:${target.port} (database "${target.database}"): ${reason}. The query was not run; the pool tries again on the next query.`, { cause: err })
      }
      throw err
    }
  }
  surfaceOwnErrors(sequelize)
}

/**
 * Sequelize wraps every driver error in its own class; when the driver error is one of ours
 * (a {@link QueryTimeoutError} from pg-driver.ts) the caller gets ours, with Sequelize's
 * `sql` kept on it for logs. `query` is public API; the instance's method is replaced.
 */
function surfaceOwnErrors (sequelize: Sequelize): void {
  const query = sequelize.query.bind(sequelize) as (...args: unknown[]) => Promise<unknown>
  ;(sequelize as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
    try {
      return await query(...args)
    } catch (err) {
      const parent = err instanceof BaseError ? (err as { parent?: unknown }).parent : undefined
      if (parent instanceof CoachDbError) throw parent
      throw err
    }
  }
}

/** What the connection pool holds right now. */
export interface PoolFigures {
  /** Most connections the pool may open (`pool.max`). */
  max: number
  /** Connections open now, busy or idle. */
  size: number
  /** Connections handed out to a query or transaction. */
  inUse: number
  /** Open connections waiting idle in the pool. */
  available: number
  /** Callers waiting for a connection because all `max` are in use. */
  waiting: number
}

interface SequelizePool { maxSize: number, size: number, using: number, available: number, waiting: number }

/**
 * Reads the pool's figures. Sequelize has no public pool statistics (its `beforePoolAcquire` and
 * `afterPoolAcquire` hooks see acquisitions, never releases), so this reads the private
 * `connectionManager.pool`, a sequelize-pool `Pool` whose getters are public in that package.
 * With read replication Sequelize keeps a read and a write pool; their figures are added up.
 */
export function poolFigures (sequelize: Sequelize): PoolFigures {
  const manager = sequelize.connectionManager as unknown as { pool?: SequelizePool & { read?: SequelizePool, write?: SequelizePool } }
  const pool = manager.pool
  if (pool === undefined) return { max: 0, size: 0, inUse: 0, available: 0, waiting: 0 }
  const pools = pool.read !== undefined && pool.write !== undefined ? [pool.read, pool.write] : [pool]
  const sum = (pick: (p: SequelizePool) => number): number => pools.reduce((total, p) => total + pick(p), 0)
  return { max: sum(p => p.maxSize), size: sum(p => p.size), inUse: sum(p => p.using), available: sum(p => p.available), waiting: sum(p => p.waiting) }
}

/** What a test connection stands in for: Sequelize's pool, while a test transaction is open. */
export interface PoolStandIn<C> {
  /** Hands out a connection; `uuid` is set when Sequelize opens a transaction on it. */
  getConnection: (options?: { uuid?: string, type?: string }) => Promise<C>
  releaseConnection: (connection: C) => void
  destroyConnection: (connection: C) => Promise<void>
}

/**
 * A connection from `sequelize`'s pool, outside any transaction, for code that must hold one
 * (a test transaction): give it back with {@link releasePoolConnection}, or
 * {@link destroyPoolConnection} when it is broken.
 */
export async function takePoolConnection<C> (sequelize: Sequelize): Promise<C> {
  return await managerOf(sequelize).getConnection({}) as C
}

/** Returns a connection from {@link takePoolConnection} to the pool. */
export function releasePoolConnection (sequelize: Sequelize, connection: unknown): void {
  managerOf(sequelize).releaseConnection(connection)
}

/** Closes a connection from {@link takePoolConnection} instead of returning it to the pool. */
export async function destroyPoolConnection (sequelize: Sequelize, connection: unknown): Promise<void> {
  await managerOf(sequelize).destroyConnection(connection)
}

/**
 * Makes every connection `sequelize` asks its pool for come from `standIn` instead, until the
 * returned function is called (test isolation: the whole app on one connection inside BEGIN).
 * A connection the pool handed out before (a query already running) still goes back to the pool:
 * given to the stand-in it would stay borrowed, and closing the pool would wait for it forever.
 * What was on the instance before (our acquire-failure wrapper) is put back exactly.
 */
export function replacePool<C> (sequelize: Sequelize, standIn: PoolStandIn<C>): () => void {
  const manager = managerOf(sequelize)
  const previous = MANAGER_METHODS.map(key => [key, Object.getOwnPropertyDescriptor(manager, key)] as const)
  const pool = { release: manager.releaseConnection.bind(manager), destroy: manager.destroyConnection.bind(manager) }
  const handedOut = new WeakSet<object>()
  Object.assign(manager, {
    getConnection: async (options?: { uuid?: string, type?: string }) => {
      const connection = await standIn.getConnection(options)
      handedOut.add(connection as object)
      return connection
    },
    releaseConnection: (connection: C) => handedOut.has(connection as object) ? standIn.releaseConnection(connection) : pool.release(connection),
    destroyConnection: async (connection: C) => handedOut.has(connection as object) ? await standIn.destroyConnection(connection) : await pool.destroy(connection)
  })
  return () => {
    const own = manager as unknown as Record<string, unknown>
    for (const [key, descriptor] of previous) {
      if (descriptor === undefined) delete own[key]
      else Object.defineProperty(manager, key, descriptor)
    }
  }
}

function managerOf (sequelize: Sequelize): ConnectionManagerInternals {
  checkSequelizeInternals(sequelize)
  return sequelize.connectionManager as unknown as ConnectionManagerInternals
}

/**
 * The namespace installed with `Sequelize.useCLS()`, if any. Sequelize keeps it in the private
 * static `_cls` and has no getter; `useCLS` itself is public.
 */
export function installedClsNamespace (): unknown {
  return (BaseSequelize as unknown as { _cls?: unknown })._cls
}

/**
 * The SQL a statement sent, read from the query object that Sequelize's public `afterQuery` hook
 * receives. The hook is public, the object's `sql` field is not typed (the dialect's `run` sets
 * it before sending): undefined when it is missing, and `test/migrator.test.ts` (plan's capture)
 * fails when a Sequelize release moves it.
 */
export function sentSql (query: unknown): string | undefined {
  const sql = (query as { sql?: unknown } | null)?.sql
  return typeof sql === 'string' ? sql : undefined
}
