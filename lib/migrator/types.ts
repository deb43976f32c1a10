import type { QueryInterface, Transaction } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import type { MigrationLockMode } from '../types.js'

/**
 * What a migration's `up` and `down` receive as `context`. Inside a transactional migration,
 * `query` and `transaction` belong to the migration's transaction, which also records the
 * migration in the meta table: either both land or neither does.
 */
export interface MigrationContext {
  sequelize: Sequelize
  queryInterface: QueryInterface
  /** The migration's transaction; `undefined` for a migration that declares `transaction = false`. */
  transaction: Transaction | undefined
  /** Runs one SQL statement inside the migration's transaction (when it has one). */
  query: (sql: string, options?: { replacements?: Record<string, unknown> | unknown[] }) => Promise<unknown>
}

/** Signature of a migration file's `up` and `down` exports. */
export type MigrationFn = (params: { name: string, context: MigrationContext }) => Promise<void>

/** The shape of a migration file: `<UTC timestamp>_<description>.ts` exporting `up` and `down`. */
export interface MigrationModule {
  up: MigrationFn
  down: MigrationFn
  /**
   * Set to `false` for statements PostgreSQL refuses inside a transaction
   * (`CREATE INDEX CONCURRENTLY`). The meta row is then written after `up` succeeds.
   */
  transaction?: boolean
}

/** A migration file found on disk. */
export interface MigrationFile {
  /** File name without extension, e.g. `20261123000000_initial_schema`; the meta table key. */
  name: string
  path: string
}

/** One row of the meta table (`schema_migrations`). */
export interface AppliedMigration {
  name: string
  executedAt: Date
  /** How long `up` took, in milliseconds. */
  durationMs: number | null
  /** SHA-256 of the migration file when it ran. */
  checksum: string | null
}

/**
 * Where a migration stands: `applied`, `pending`, `edited` (applied, but its file changed since),
 * or `missing` (applied, but its file is gone).
 */
export type MigrationState = 'applied' | 'pending' | 'edited' | 'missing'

/** One migration with its state and, when applied, its times: what `status` prints. */
export interface MigrationStatus {
  name: string
  state: MigrationState
  executedAt: Date | null
  durationMs: number | null
}

/** What `plan` found for one pending migration: the SQL `up` would run, or why it can't be shown. */
export type PlannedMigration =
  | { name: string, previewable: true, sql: string[] }
  | { name: string, previewable: false, reason: string }

export type { MigrationLockMode }

/**
 * Options for {@link Migrator}: the plugin's option names, so the plugin and the CLI pass their
 * resolved options through unchanged. Defaults: lib/defaults.ts.
 */
export interface MigratorOptions {
  /**
   * Folder of migration files, or several merged in name order, e.g. the package's own and an
   * app's: `[DEFAULT_MIGRATIONS_DIR, './migrations']`. Default: the package's own `migrations/`,
   * then the folder the app names in its package.json (`"coach-db": { "migrations": "…" }`).
   */
  migrationsDir?: string | readonly string[]
  /** Meta table name. Default `schema_migrations`. */
  tableName?: string
  /**
   * Advisory lock around `up` and `down`, so replicas starting together migrate once: `wait`
   * (default), `skip` (return without migrating), `fail`, or `false` for no lock (e.g. behind a
   * transaction-mode pooler, which cannot hold a session lock).
   */
  migrationLock?: MigrationLockMode | false
  /** Longest wait for the lock in `wait` mode, in ms. Default 120000. */
  lockTimeout?: number
  /** Run even when an applied migration's file has changed since it ran. Default `false`. */
  acceptEditedMigrations?: boolean
}
