/**
 * Every error this package throws is a {@link CoachDbError}: it has a stable `code` to branch on,
 * a message that says what to do next, and the underlying driver or SDK error as `cause`.
 * Messages never contain a password, a secret value or a full connection string.
 */
export class CoachDbError extends Error {
  /** Stable, documented error code, e.g. `ERR_COACH_DB_OPTIONS`. */
  readonly code: string

  constructor (code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** The options passed to the plugin (or the CLI's environment) are not usable as given. */
export class OptionsError extends CoachDbError {
  constructor (message: string, options?: { cause?: unknown }) {
    super('ERR_COACH_DB_OPTIONS', message, options)
  }
}

/** The database could not be reached or refused the connection. */
export class ConnectionError extends CoachDbError {
  constructor (message: string, options?: { cause?: unknown, code?: string }) {
    super(options?.code ?? 'ERR_COACH_DB_CONNECTION', message, options)
  }
}

/** A migration failed; the schema and the meta table are as they were before it started. */
export class MigrationError extends CoachDbError {
  /** The migration's name (its file name without extension). */
  readonly migration: string
  /** SQLSTATE reported by PostgreSQL, when the failure came from the database. */
  readonly sqlState: string | undefined
  /** The SQL statement that failed, when known. */
  readonly statement: string | undefined

  constructor (migration: string, message: string, options: { cause?: unknown, sqlState?: string, statement?: string, code?: string } = {}) {
    super(options.code ?? 'ERR_COACH_DB_MIGRATION', message, options)
    this.migration = migration
    this.sqlState = options.sqlState
    this.statement = options.statement
  }
}
