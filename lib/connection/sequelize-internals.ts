import { createRequire } from 'node:module'
import { BaseError, ConnectionAcquireTimeoutError, ConnectionError as SequelizeConnectionError } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { CoachDbError, ConnectionError } from '../errors.js'
import type { PoolOptions } from '../types.js'
import type { ConnectionTarget } from '../credentials/target.js'
import { PoolExhaustedError } from './pool-errors.js'

// Every use of Sequelize's private surface lives in this file. How connections open is public
// (`dialectModule`, see pg-driver.ts); what is left is turning the pool's acquire failures into
// our errors, which Sequelize offers no hook for.

/** Sequelize majors whose private surface below was checked. */
const SUPPORTED_MAJOR = 6

interface ConnectionManagerInternals {
  getConnection: (options?: unknown) => Promise<unknown>
}

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
  const missing = typeof manager?.getConnection !== 'function' ? 'connectionManager.getConnection' : undefined
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
