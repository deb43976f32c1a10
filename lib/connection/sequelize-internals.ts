import type { Sequelize } from 'sequelize-typescript'

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
