import { replicaOpenersOf, type NodeOpener } from './connection/pg-driver.js'
import type { FastifyInstance } from 'fastify'
import { QueryTypes } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import type { Migrator } from './migrator/migrator.js'
import type { HealthRoutesOptions } from './types.js'
import { poolFigures, type PoolFigures } from './connection/sequelize-internals.js'
import { DEFAULT_HEALTH_TIMEOUT_MS } from './defaults.js'
import { deadline, type Deadline } from './deadline.js'

export type { PoolFigures } from './connection/sequelize-internals.js'

export { DEFAULT_HEALTH_TIMEOUT_MS }

/** Options of `app.db.health()`. */
export interface HealthCheckOptions {
  /** Longest the whole check may take, in ms; a check still running then counts as unreachable. Default: the plugin's `healthTimeoutMs` (2000). */
  timeoutMs?: number
}

/** What `app.db.health()` found. */
export interface DatabaseHealth {
  /** The database answered, no migration is pending and the `vector` extension is installed. */
  ready: boolean
  /** Why not ready, one sentence each; empty when ready. */
  reasons: string[]
  /** A real round trip (`SELECT 1`) completed within the timeout. */
  reachable: boolean
  /** Time of that round trip, pool wait included, in ms (0.1 ms precision); `null` when unreachable. */
  latencyMs: number | null
  /** The driver's message (or the timeout) when unreachable. */
  error?: string
  /** Migrations not applied yet, in order; `null` when not known (unreachable). */
  pendingMigrations: string[] | null
  /** `extversion` of the `vector` extension, `null` when not installed or not known. */
  vectorVersion: string | null
  /** The connection pool at the time of the check. */
  pool: PoolFigures
  /** When the check ran (ISO 8601). */
  checkedAt: string
  /**
   * Each read replica (option `readReplicas`), checked on a connection of its own: reachable,
   * in recovery, and its replication lag (`now() - pg_last_xact_replay_timestamp()`, seconds;
   * grows while the primary is idle). Absent without replicas. A replica down does not make the
   * service unready: reads move to the other nodes.
   */
  replicas?: ReplicaHealth[]
}

/** One read replica in {@link DatabaseHealth.replicas}. */
export interface ReplicaHealth {
  node: string
  reachable: boolean
  inRecovery: boolean | null
  lagSeconds: number | null
  error?: string
}

export type { HealthRoutesOptions }

class HealthTimeout extends Error {}

/**
 * `app.db.health()`: a round trip, then the pending migrations and the vector extension, all
 * within one deadline. Queries go through the pool like any other (a health check that bypassed
 * the pool would say "fine" while every request waits for a connection); the pool figures show
 * when that is the reason for a timeout.
 */
async function replicaHealth ({ node, open }: NodeOpener): Promise<ReplicaHealth> {
  const connection = await open()
  try {
    const { rows: [row] } = await connection.query('SELECT pg_is_in_recovery() AS standby, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS lag')
    return { node, reachable: true, inRecovery: row.standby as boolean, lagSeconds: row.lag === null ? null : Math.round(Number(row.lag) * 1000) / 1000 }
  } finally {
    await connection.end().catch(() => {})
  }
}

export function createHealthCheck (sequelize: Sequelize, migrator: Migrator, defaultTimeoutMs = DEFAULT_HEALTH_TIMEOUT_MS): (options?: HealthCheckOptions) => Promise<DatabaseHealth> {
  return async (options = {}) => {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs
    const deadline = performance.now() + timeoutMs
    const within = async <T>(work: Promise<T>): Promise<T> => await bounded(work, deadline - performance.now(), timeoutMs)
    const checkedAt = new Date().toISOString()
    const started = performance.now()
    try {
      await within(sequelize.query('SELECT 1', { type: QueryTypes.SELECT }))
    } catch (err) {
      const error = err instanceof HealthTimeout ? err.message : `database unreachable: ${messageOf(err)}`
      return { ready: false, reasons: [error], reachable: false, latencyMs: null, error, pendingMigrations: null, vectorVersion: null, pool: poolFigures(sequelize), checkedAt }
    }
    const latencyMs = Math.round((performance.now() - started) * 10) / 10
    const reasons: string[] = []
    let pendingMigrations: string[] | null = null
    let vectorVersion: string | null = null
    const [pending, vector] = await Promise.allSettled([within(migrator.pending()), within(readVectorVersion(sequelize))])
    if (pending.status === 'fulfilled') {
      pendingMigrations = pending.value
      if (pending.value.length > 0) reasons.push(`${pending.value.length} migration(s) pending: ${pending.value.join(', ')}`)
    } else {
      reasons.push(`pending migrations unknown: ${messageOf(pending.reason)}`)
    }
    if (vector.status === 'fulfilled') {
      vectorVersion = vector.value
      if (vector.value === null) reasons.push('the vector extension is not installed')
    } else {
      reasons.push(`vector extension unknown: ${messageOf(vector.reason)}`)
    }
    const nodes = replicaOpenersOf(sequelize)
    const replicas = nodes.length > 0 ? await Promise.all(nodes.map(async node => await within(replicaHealth(node)).catch((err: unknown) => ({ node: node.node, reachable: false, inRecovery: null, lagSeconds: null, error: messageOf(err) })))) : undefined
    return { ready: reasons.length === 0, reasons, reachable: true, latencyMs, pendingMigrations, vectorVersion, pool: poolFigures(sequelize), checkedAt, ...(replicas !== undefined ? { replicas } : {}) }
  }
}

async function readVectorVersion (sequelize: Sequelize): Promise<string | null> {
  const rows = await sequelize.query<{ version: string }>("SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'", { type: QueryTypes.SELECT })
  return rows[0]?.version ?? null
}

// The query itself goes on after the deadline (pg cannot cancel it from here) and returns its
// connection when done; only the caller stops waiting.
async function bounded<T> (work: Promise<T>, remainingMs: number, timeoutMs: number): Promise<T> {
  let timer: Deadline | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = deadline(Math.max(0, remainingMs), () => { reject(new HealthTimeout(`no answer from the database within ${timeoutMs} ms`)) })
  })
  work.catch(() => {})
  try {
    return await Promise.race([work, timeout])
  } finally {
    timer?.cancel()
  }
}

function messageOf (err: unknown): string {
  if (err instanceof HealthTimeout) return err.message
  return err instanceof Error ? err.message : String(err)
}

const liveBody = { type: 'object', properties: { status: { type: 'string' } } } as const
const readyBody = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    ready: { type: 'boolean' },
    reasons: { type: 'array', items: { type: 'string' } },
    reachable: { type: 'boolean' },
    latencyMs: { type: ['number', 'null'] },
    error: { type: 'string' },
    pendingMigrations: { type: ['array', 'null'], items: { type: 'string' } },
    vectorVersion: { type: ['string', 'null'] },
    pool: { type: 'object', properties: { max: { type: 'integer' }, size: { type: 'integer' }, inUse: { type: 'integer' }, available: { type: 'integer' }, waiting: { type: 'integer' } } },
    checkedAt: { type: 'string' }
  }
} as const

/**
 * `GET <prefix>/live`: the process answers (never touches the database: a database outage must
 * not make an orchestrator restart every replica). `GET <prefix>/ready`: `app.db.health()`; 200
 * when ready, else 503 with the reasons, so a load balancer sends traffic only where it can be
 * served (while migrations are pending or the database is unreachable).
 */
export function registerHealthRoutes (fastify: FastifyInstance, health: (options?: HealthCheckOptions) => Promise<DatabaseHealth>, options: HealthRoutesOptions = {}): void {
  const prefix = (options.prefix ?? '/health').replace(/\/$/, '')
  fastify.get(`${prefix}/live`, { schema: { response: { 200: liveBody } } }, async (_request, reply) => {
    return await reply.header('cache-control', 'no-store').send({ status: 'ok' })
  })
  fastify.get(`${prefix}/ready`, { schema: { response: { 200: readyBody, 503: readyBody } } }, async (_request, reply) => {
    const result = await health()
    return await reply.header('cache-control', 'no-store').code(result.ready ? 200 : 503).send({ status: result.ready ? 'ready' : 'unavailable', ...result })
  })
}
