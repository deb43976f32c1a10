import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import type { Sequelize } from 'sequelize-typescript'
import { MigrationError } from '../errors.js'
import type { Logger } from '../logger.js'
import { connectionOpenerOf, driverOpener, type ConnectionOpener, type DedicatedConnection } from '../connection/pg-driver.js'
import type { MigrationLockMode } from './types.js'
import { LOCK_POLL_MS } from '../defaults.js'

/** How {@link MigrationLock.acquire} behaves: the plugin's option names, resolved. */
export interface MigrationLockOptions {
  /** `wait` up to `lockTimeout`; `skip` the run; `fail` at once. */
  migrationLock: MigrationLockMode
  /** Longest wait in `wait` mode, in ms. */
  lockTimeout: number
  /** How often a waiting process tries again, in ms. */
  pollMs?: number
}

/**
 * Runs one read on the connection of the migration being recorded (inside its transaction when it
 * has one): how {@link MigrationLock.assertHeld} checks the lock without using the lock's own connection.
 */
export type LockCheckQuery = (sql: string, bind: unknown[]) => Promise<Array<Record<string, unknown>>>

/**
 * How the lock's connection opens: through the same seam as the pool's connections (login per
 * connection, keepalive, query bound) for a Sequelize built by this package; a plain `pg.Client`
 * on the public config of a Sequelize passed in by the app.
 */
export function lockConnectionOpener (sequelize: Sequelize): ConnectionOpener {
  const registered = connectionOpenerOf(sequelize)
  if (registered !== undefined) return registered
  const { host, port, database, username, password, dialectOptions } = sequelize.config as unknown as { host?: string, port?: string | number, database: string, username?: string, password?: string, dialectOptions?: { ssl?: pg.ClientConfig['ssl'] } }
  return driverOpener(pg, { host, port: port !== undefined ? Number(port) : undefined, database, user: username, password: password ?? undefined, ssl: dialectOptions?.ssl, keepAlive: true, application_name: 'fastify-coach-db' })
}

/**
 * A PostgreSQL session-level advisory lock held on a connection of its own, outside the pool:
 * a migration's transactions run on pooled connections, and a pool of one (or a busy pool) must
 * not be able to starve the lock. If the holder dies, PostgreSQL ends its session and the lock
 * with it, so a crashed replica never blocks the others. Needs a session-mode connection: behind
 * a transaction-mode pooler (PgBouncer `pool_mode=transaction`) turn the lock off.
 */
export class MigrationLock {
  /** The PostgreSQL backend pid of the lock's session, once the lock is taken. */
  private holder: number | undefined

  private constructor (
    private readonly connection: DedicatedConnection,
    private readonly key: string,
    private readonly log: Logger
  ) {}

  /** Lock key: a stable 32-bit hash of the meta table name, so separate meta tables never collide. */
  static keyFor (tableName: string): string {
    return `fastify-coach-db:${tableName}`
  }

  /**
   * Takes the lock, or resolves to `undefined` in `skip` mode when another process has it.
   * Throws a {@link MigrationError} with code `ERR_COACH_DB_MIGRATION_LOCKED` in `fail` mode, or
   * when `wait` runs out of time. `connect` is a Sequelize (its connections' seam is used) or a
   * {@link ConnectionOpener}.
   */
  static async acquire (connect: Sequelize | ConnectionOpener, tableName: string, options: MigrationLockOptions, log: Logger): Promise<MigrationLock | undefined> {
    const open = typeof connect === 'function' ? connect : lockConnectionOpener(connect)
    const connection = await open()
    const lock = new MigrationLock(connection, MigrationLock.keyFor(tableName), log)
    try {
      const acquired = await lock.tryUntil(options)
      if (acquired) return lock
      await lock.disconnect()
      return undefined
    } catch (err) {
      await lock.disconnect()
      if (err instanceof MigrationError) throw err
      throw new MigrationError('(lock)', `The connection waiting for the migration lock failed: ${err instanceof Error ? err.message : String(err)}. Nothing was applied; start again.`, { cause: err, code: 'ERR_COACH_DB_MIGRATION_LOCK_LOST' })
    }
  }

  /**
   * Throws when the lock's session no longer holds the lock (killed, network), so a migration
   * commits only under the lock. The check reads `pg_locks` through `query`, on the migration's
   * own connection and transaction, not on the lock's connection: on the embedded engine every
   * connection shares PGlite's one session, which the migration's open transaction holds, so a
   * statement on the lock's connection would wait for the very transaction that waits for it.
   * Asking the server whether the lock's backend still holds the lock is the same check on both
   * engines, and a stronger one than a round trip on the lock's connection.
   */
  async assertHeld (query: LockCheckQuery): Promise<void> {
    const rows = await query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = $2
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((classid::bigint << 32) | objid::bigint) = hashtext($1)::bigint`,
      [this.key, this.holder]
    )
    if (rows.length === 0) {
      throw new MigrationError('(lock)', 'The migration lock was lost (its database session ended). Nothing more was applied; run the migrations again.', { code: 'ERR_COACH_DB_MIGRATION_LOCK_LOST' })
    }
  }

  /** Releases the lock and closes its connection. Never throws: the session's end frees it anyway. */
  async release (): Promise<void> {
    try {
      await this.connection.query('SELECT pg_advisory_unlock(hashtext($1))', [this.key])
    } catch (err) {
      this.log.warn({ err }, 'could not release the migration lock explicitly; it is freed when the connection closes')
    }
    await this.disconnect()
  }

  private async tryUntil (options: MigrationLockOptions): Promise<boolean> {
    const deadline = Date.now() + options.lockTimeout
    let logged = false
    for (;;) {
      const { rows } = await this.connection.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked, pg_backend_pid() AS pid', [this.key])
      if (rows[0]?.locked === true) {
        this.holder = rows[0].pid as number
        if (logged) this.log.info('migration lock acquired after waiting; migrating')
        return true
      }
      const holder = await this.holderPid()
      if (options.migrationLock === 'skip') {
        this.log.warn({ holderPid: holder }, `another process (pid ${holder ?? '?'}) is migrating this database; starting without migrating (migrationLock: 'skip')`)
        return false
      }
      if (options.migrationLock === 'fail' || Date.now() >= deadline) {
        const why = options.migrationLock === 'fail' ? "migrationLock is 'fail'" : `waited ${options.lockTimeout} ms (lockTimeout)`
        throw new MigrationError('(lock)', `Another process (PostgreSQL backend pid ${holder ?? '?'}) holds the migration lock and ${why}. Wait for it to finish, or stop it if it is stuck, then start again.`, { code: 'ERR_COACH_DB_MIGRATION_LOCKED' })
      }
      if (!logged) {
        this.log.info({ holderPid: holder }, `waiting for the migration lock held by PostgreSQL backend pid ${holder ?? '?'}`)
        logged = true
      }
      await sleep(Math.min(options.pollMs ?? LOCK_POLL_MS, Math.max(0, deadline - Date.now())))
    }
  }

  private async holderPid (): Promise<number | undefined> {
    // A bigint advisory key is stored as classid (high 32 bits) and objid (low 32 bits).
    const { rows } = await this.connection.query(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((classid::bigint << 32) | objid::bigint) = hashtext($1)::bigint`,
      [this.key]
    )
    return rows[0]?.pid as number | undefined
  }

  private async disconnect (): Promise<void> {
    try {
      await this.connection.end()
    } catch {
      // Already gone: nothing left to close.
    }
  }
}
