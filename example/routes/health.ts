import type { FastifyInstance } from 'fastify'

const healthBody = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    reasons: { type: 'array', items: { type: 'string' } },
    database: { type: 'object', properties: { reachable: { type: 'boolean' }, latencyMs: { type: ['number', 'null'] }, error: { type: 'string' } } },
    migrations: { type: 'object', properties: { pending: { type: ['integer', 'null'] }, names: { type: ['array', 'null'], items: { type: 'string' } } } },
    vector: { type: 'object', properties: { installed: { type: 'boolean' }, version: { type: ['string', 'null'] } } },
    pool: { type: 'object', properties: { max: { type: 'integer' }, size: { type: 'integer' }, inUse: { type: 'integer' }, available: { type: 'integer' }, waiting: { type: 'integer' } } }
  }
} as const

/**
 * `GET /health`: readiness, from the plugin's `app.db.health()` (a round trip bounded by
 * `healthTimeoutMs`, pending migrations, the vector extension, pool figures). 200 only when the
 * database answers, no migration is pending and `vector` is installed; 503 otherwise, with the
 * reasons. The plugin's own `/health/live` and `/health/ready` (option `healthRoutes`) are on too.
 */
export async function healthRoutes (app: FastifyInstance): Promise<void> {
  app.get('/health', { schema: { response: { 200: healthBody, 503: healthBody } } }, async (_request, reply) => {
    const health = await app.db.health()
    return await reply.header('cache-control', 'no-store').status(health.ready ? 200 : 503).send({
      status: health.ready ? 'ok' : 'unavailable',
      ...(health.ready ? {} : { reasons: health.reasons }),
      database: { reachable: health.reachable, latencyMs: health.latencyMs, ...(health.error !== undefined ? { error: health.error } : {}) },
      migrations: { pending: health.pendingMigrations?.length ?? null, names: health.pendingMigrations },
      vector: { installed: health.vectorVersion !== null, version: health.vectorVersion },
      pool: health.pool
    })
  })
}
