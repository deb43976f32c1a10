import type { FastifyInstance } from 'fastify'
import { QueryTypes } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import type { Session } from '../models/session.js'
import type { Logger } from './logger.js'
import type { SessionCleanupOptions } from './types.js'

export type { SessionCleanupOptions }

export { DEFAULT_SESSION_CLEANUP } from './defaults.js'

/** The advisory lock the replicas take turns on (transaction-level: works behind PgBouncer too). */
export const SESSION_CLEANUP_LOCK = 'fastify-coach-db:session-cleanup'

/** What one run did. */
export interface SessionCleanupRun {
  /** Sessions deleted. */
  deleted: number
  /** Batches that deleted (each in its own short transaction). */
  batches: number
  /** Another replica held the lock, so this one did nothing. */
  skipped: boolean
}

/**
 * One run: batch after batch, each in a short transaction that first takes
 * `pg_try_advisory_xact_lock`. A replica that does not get the lock stops; the lock is released
 * with each commit, so no lock outlives one batch. The transaction is explicit (never a request's).
 */
export async function runSessionCleanup (sequelize: Sequelize, session: typeof Session, options: Required<SessionCleanupOptions>, signal?: AbortSignal): Promise<SessionCleanupRun> {
  let deleted = 0
  let batches = 0
  while (batches < options.maxBatchesPerRun && signal?.aborted !== true) {
    const result = await sequelize.transaction({ transaction: null } as object, async transaction => {
      const [lock] = await sequelize.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', { bind: [SESSION_CLEANUP_LOCK], type: QueryTypes.SELECT, transaction })
      if (lock?.locked !== true) return undefined
      return await session.purgeExpired({ batchSize: options.batchSize, maxBatches: 1, transaction })
    })
    if (result === undefined) return { deleted, batches, skipped: batches === 0 }
    deleted += result.deleted
    if (result.deleted > 0) batches++
    if (result.deleted < options.batchSize) break
  }
  return { deleted, batches, skipped: false }
}

/**
 * Runs {@link runSessionCleanup} every `intervalMs` from `onReady` on; `preClose` stops it and
 * waits for a run in progress (between two batches), before the pool closes.
 */
export function registerSessionCleanup (fastify: FastifyInstance, sequelize: Sequelize, session: typeof Session, options: Required<SessionCleanupOptions>, log: Logger): void {
  const stop = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  const runOnce = async (): Promise<void> => {
    const started = performance.now()
    try {
      const run = await runSessionCleanup(sequelize, session, options, stop.signal)
      const durationMs = Math.round(performance.now() - started)
      if (run.skipped) log.debug('fastify-coach-db: session cleanup skipped, another replica holds the lock')
      else if (run.deleted > 0) log.info({ deleted: run.deleted, batches: run.batches, durationMs }, `fastify-coach-db: removed ${run.deleted} expired session(s) in ${run.batches} batch(es)`)
      else log.debug({ durationMs }, 'fastify-coach-db: session cleanup found no expired session')
    } catch (err) {
      if (!stop.signal.aborted) log.warn({ err }, 'fastify-coach-db: session cleanup failed; it runs again after intervalMs')
    }
  }
  const schedule = (): void => {
    if (stop.signal.aborted) return
    timer = setTimeout(() => {
      running = runOnce().finally(() => { running = undefined; schedule() })
    }, options.intervalMs)
    // A pending cleanup never keeps the process alive on its own.
    timer.unref()
  }
  fastify.addHook('onReady', async () => { schedule() })
  fastify.addHook('preClose', async () => {
    stop.abort()
    clearTimeout(timer)
    await running
  })
}
