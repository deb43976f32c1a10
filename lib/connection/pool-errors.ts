import { ConnectionAcquireTimeoutError } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { ConnectionError } from '../errors.js'
import type { PoolOptions } from '../types.js'

/**
 * Every pool connection stayed busy for `pool.acquire` ms, so a query gave up waiting. Its `cause`
 * is Sequelize's `ConnectionAcquireTimeoutError`.
 */
export class PoolExhaustedError extends ConnectionError {
  constructor (pool: Required<PoolOptions>, cause: unknown) {
    super(`Database pool exhausted: all ${pool.max} connections stayed busy for ${pool.acquire} ms (pool.acquire), so the query was not run. Raise pool.max, shorten the queries or transactions that hold connections, or shed load.`, { cause, code: 'ERR_COACH_DB_POOL_EXHAUSTED' })
  }
}

/**
 * Replaces Sequelize's bare "Operation timeout" on pool acquisition with a {@link PoolExhaustedError}
 * that says what ran out and what to change. Only the acquire path is wrapped; queries are not.
 */
export function explainPoolExhaustion (sequelize: Sequelize, pool: Required<PoolOptions>): void {
  const manager = sequelize.connectionManager as unknown as { getConnection: (options?: unknown) => Promise<unknown> }
  const getConnection = manager.getConnection.bind(manager)
  manager.getConnection = async (options?: unknown) => {
    try {
      return await getConnection(options)
    } catch (err) {
      if (err instanceof ConnectionAcquireTimeoutError) throw new PoolExhaustedError(pool, err)
      throw err
    }
  }
}
