import type { FastifyInstance } from 'fastify'
import { QueryTypes } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'

/** Connection pool counters as Sequelize's pool reports them. */
interface PoolStats { max: number, size: number, inUse: number, available: number, waiting: number }

const healthBody = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    database: { type: 'object', properties: { reachable: { type: 'boolean' }, latencyMs: { type: 'number' }, error: { type: 'string' } } },
    migrations: { type: 'object', properties: { pending: { type: 'integer' }, names: { type: 'array', items: { type: 'string' } } } },
    vector: { type: 'object', properties: { installed: { type: 'boolean' }, version: { type: ['string', 'null'] } } },
    pool: { type: 'object', properties: { max: { type: 'integer' }, size: { type: 'integer' }, inUse: { type: 'integer' }, available: { type: 'integer' }, waiting: { type: 'integer' } } }
  }
} as const

/**
 * `GET /health`: readiness. 200 only when the database answers, no migration is pending and the
 * `vector` extension is installed; 503 otherwise, saying which check failed. A load balancer
 * sends traffic only to instances that can actually serve it.
 */
export async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/health', { schema: { response: { 200: healthBody, 503: healthBody } } }, async (_request, reply) => {
    const { sequelize, migrator } = app.db
    const pool = poolStats(sequelize)
    const started = performance.now()
    try {
      await sequelize.query('SELECT 1', { type: QueryTypes.SELECT })
    } catch (err) {
      return await reply.status(503).send({ status: 'unavailable', database: { reachable: false, error: (err as Error).message }, pool })
    }
    const latencyMs = Math.round((performance.now() - started) * 10) / 10
    const [pending, vector] = [await migrator.pending(), await vectorVersion(sequelize)]
    const ready = pending.length === 0 && vector !== null
    return await reply.status(ready ? 200 : 503).send({
      status: ready ? 'ok' : 'unavailable',
      database: { reachable: true, latencyMs },
      migrations: { pending: pending.length, names: pending },
      vector: { installed: vector !== null, version: vector },
      pool
    })
  })
}

async function vectorVersion (sequelize: Sequelize): Promise<string | null> {
  const rows = await sequelize.query<{ version: string }>("SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'", { type: QueryTypes.SELECT })
  return rows[0]?.version ?? null
}

function poolStats (sequelize: Sequelize): PoolStats {
  const pool = (sequelize.connectionManager as unknown as { pool: { maxSize: number, size: number, using: number, available: number, waiting: number } }).pool
  return { max: pool.maxSize, size: pool.size, inUse: pool.using, available: pool.available, waiting: pool.waiting }
}
