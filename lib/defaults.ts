/**
 * Every default of fastify-coach-db, in one place, each with why it is what it is. The plugin's
 * and the CLI's options are resolved against these once, in lib/options.ts; the layers below
 * (connection, migrator, health) receive resolved values and use these only when they are built
 * directly (a `new Migrator(sequelize)` in a script or a test).
 *
 * This module imports nothing, so any layer may read it without an import circle.
 */

/** Option `pool`: 20 connections cover a 2-core service; `min: 0` so an idle service holds none; 30 s acquire before `PoolExhaustedError`, 10 s idle before a connection is closed. */
export const DEFAULT_POOL = Object.freeze({ max: 20, min: 0, acquire: 30_000, idle: 10_000 })

/** The CLI's pool: a command runs one statement at a time (plus the lock's own connection), so two are plenty. */
export const CLI_POOL_MAX = 2

/** Option `connectRetry`: 5 tries, 250 ms doubling to 2 s (about 4 s of waits), enough for a database container still starting. */
export const DEFAULT_CONNECT_RETRY = Object.freeze({ attempts: 5, initialDelayMs: 250, maxDelayMs: 2_000 })

/** Option `connectTimeoutMs`: one attempt (TCP, TLS, login) longer than 5 s means a host dropping packets, not a slow one. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000

/** Fastify's own default `pluginTimeout`, which start-up's budget fits inside when the app's config does not name one. */
export const FASTIFY_PLUGIN_TIMEOUT_MS = 10_000

/**
 * Delay before the first TCP keepalive probe on an idle connection: a host that vanished
 * (failover, partition) is noticed within about this long plus the kernel's probe interval.
 */
export const DEFAULT_KEEPALIVE_DELAY_MS = 10_000

/**
 * How long close waits for the set-up of the pool's first connection (start-up's, handed over)
 * before dropping it, in ms: on a live server it takes about 10 ms.
 */
export const HAND_OVER_GRACE_MS = 1_000

/** Option `secretTtlMs`: a fetched secret is reused for 5 min, short enough to follow a rotation, long enough to keep Secrets Manager calls rare. */
export const DEFAULT_SECRET_TTL_MS = 5 * 60_000

/** Option `statementTimeoutMs`: none, because migrations and reports may legitimately run long; a service sets its own bound. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 0

/**
 * Option `queryTimeoutMs`: the server's `statement_timeout` plus 5 s, so PostgreSQL cancels a slow
 * query first (a clean 57014) and the client bound fires only when the server is not answering at
 * all. With no statement timeout there is no client bound either; keepalive still finds a vanished host.
 */
export function defaultQueryTimeoutMs (statementTimeoutMs: number): number {
  return statementTimeoutMs > 0 ? statementTimeoutMs + 5_000 : 0
}

/** Option `migrate`: off, because migrating is a deliberate act (a release step, or `migrate: true` / `DB_MIGRATE=true`). */
export const DEFAULT_MIGRATE = false

/** Option `migrationLock`: `'wait'`, so replicas starting together migrate once and all start on the new schema. */
export const DEFAULT_MIGRATION_LOCK = 'wait' as const

/** Option `lockTimeout`: 2 min covers an ordinary migration run by another replica; longer ones belong in a release step. */
export const DEFAULT_LOCK_TIMEOUT = 120_000

/** How often a process waiting for the migration lock tries again, in ms: cheap (one query), and a replica starts within 0.1 s of the holder finishing. */
export const LOCK_POLL_MS = 100

/** Option `acceptEditedMigrations`: refuse, because an applied migration whose file changed means the schema may not be what the file says. */
export const DEFAULT_ACCEPT_EDITED_MIGRATIONS = false

/** The meta table's name: what Rails and many runners call it, and the schema contract's name. */
export const DEFAULT_META_TABLE = 'schema_migrations'

/** Option `healthRoutes`: off, because routes are the app's to add; `true` mounts them under `/health`. */
export const DEFAULT_HEALTH_ROUTES_PREFIX = '/health'

/** Option `healthTimeoutMs`: 2 s, below the 5 s probe timeout of common orchestrators, so the check answers "unreachable" before the probe gives up. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 2_000

/** Option `sessionCleanup: true`: every minute, 1,000 rows per short transaction, at most 1,000 batches per run so a huge backlog is worked off over several runs. */
export const DEFAULT_SESSION_CLEANUP = Object.freeze({ intervalMs: 60_000, batchSize: 1_000, maxBatchesPerRun: 1_000 })

/** Embedded engine: a statement may wait 5 s for another connection's idle transaction before failing (55P03): long for real work, short enough to surface the deadlock rule. */
export const DEFAULT_IDLE_IN_TRANSACTION_WAIT_MS = 5_000

/** Test isolation: 5 s for a statement to wait for the test's pinned connection, the same bound as the embedded engine's. */
export const DEFAULT_TEST_TRANSACTION_WAIT_MS = 5_000

/** Test databases: the local PostgreSQL every contributor runs (trust auth), when `TEST_DATABASE_URL` is unset. */
export const DEFAULT_TEST_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres'
