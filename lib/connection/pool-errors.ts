import { ConnectionError } from '../errors.js'
import type { ErrorCodeOf } from '../error-codes.js'
import type { PoolOptions } from '../types.js'

/**
 * Every pool connection stayed busy for `pool.acquire` ms, so a query gave up waiting. Its `cause`
 * is Sequelize's `ConnectionAcquireTimeoutError`.
 */
export class PoolExhaustedError extends ConnectionError {
  declare readonly code: ErrorCodeOf<'PoolExhaustedError'>

  constructor (pool: Required<PoolOptions>, cause: unknown) {
    super(`Database pool exhausted: all ${pool.max} connections stayed busy for ${pool.acquire} ms (pool.acquire), so the query was not run. Raise pool.max, shorten the queries or transactions that hold connections, or shed load.`, { cause, code: 'ERR_COACH_DB_POOL_EXHAUSTED' })
  }
}
