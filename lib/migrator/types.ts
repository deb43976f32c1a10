import type { QueryInterface, Transaction } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'

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

/** Applied or pending, with times for applied ones: what `status` prints. */
export interface MigrationStatus {
  name: string
  state: 'applied' | 'pending'
  executedAt: Date | null
  durationMs: number | null
}

/** Options for {@link Migrator}. */
export interface MigratorOptions {
  /** Folder with migration files. Defaults to the package's own `migrations/`. */
  migrationsDir?: string
  /** Meta table name. Default `schema_migrations`. */
  tableName?: string
}
