import type { CoachDbErrorCode, ErrorCodeOf } from './error-codes.js'

/**
 * Every error this package throws is a {@link CoachDbError}: it has a stable `code` to branch on,
 * a message that says what to do next, and the underlying driver or SDK error as `cause`.
 * Messages never contain a password, a secret value or a full connection string.
 */
export class CoachDbError extends Error {
  /** Stable, documented error code, e.g. `ERR_COACH_DB_OPTIONS`; every one is in `ERROR_CODES`. */
  readonly code: CoachDbErrorCode

  constructor (code: CoachDbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** The options passed to the plugin (or the CLI's environment) are not usable as given. */
export class OptionsError extends CoachDbError {
  declare readonly code: ErrorCodeOf<'OptionsError'>

  constructor (message: string, options?: { cause?: unknown }) {
    super('ERR_COACH_DB_OPTIONS', message, options)
  }
}

/** The codes of {@link ConnectionError} and its subclasses. */
export type ConnectionErrorCode = ErrorCodeOf<'ConnectionError' | 'QueryTimeoutError' | 'PoolExhaustedError'>

/** The database could not be reached or refused the connection. */
export class ConnectionError extends CoachDbError {
  declare readonly code: ConnectionErrorCode

  constructor (message: string, options?: { cause?: unknown, code?: ConnectionErrorCode }) {
    super(options?.code ?? 'ERR_COACH_DB_CONNECTION', message, options)
  }
}

/** The codes of {@link MigrationError}. */
export type MigrationErrorCode = ErrorCodeOf<'MigrationError'>

/** A migration failed; the schema and the meta table are as they were before it started. */
export class MigrationError extends CoachDbError {
  declare readonly code: MigrationErrorCode
  /** The migration's name (its file name without extension). */
  readonly migration: string
  /** SQLSTATE reported by PostgreSQL, when the failure came from the database. */
  readonly sqlState: string | undefined
  /** The SQL statement that failed, when known. */
  readonly statement: string | undefined

  constructor (migration: string, message: string, options: { cause?: unknown, sqlState?: string, statement?: string, code?: MigrationErrorCode } = {}) {
    super(options.code ?? 'ERR_COACH_DB_MIGRATION', message, options)
    this.migration = migration
    this.sqlState = options.sqlState
    this.statement = options.statement
  }
}

/** Why AWS Secrets Manager did not give usable database credentials (each code's JSDoc is in `ERROR_CODES`). */
export type SecretErrorCode = ErrorCodeOf<'SecretError'>

/** Reading database credentials from AWS Secrets Manager failed; the message never holds the secret's value. */
export class SecretError extends CoachDbError {
  declare readonly code: SecretErrorCode
  /** The secret's name or ARN as configured (never its value). */
  readonly secretId: string

  constructor (code: SecretErrorCode, secretId: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.secretId = secretId
  }
}

/**
 * A query got no answer from the server within `queryTimeoutMs` (a host gone silent: failover,
 * network partition). Its connection was dropped, so the pool opens a fresh one for the next
 * query. `cause` is the driver's error.
 */
export class QueryTimeoutError extends ConnectionError {
  declare readonly code: ErrorCodeOf<'QueryTimeoutError'>
  /** The bound that ran out, in ms. */
  readonly timeoutMs: number

  constructor (timeoutMs: number, cause?: unknown) {
    super(`The database did not answer a query within ${timeoutMs} ms (queryTimeoutMs), so its connection was dropped. The host may be failing over or unreachable; retry the request. Raise "queryTimeoutMs" (or "statementTimeoutMs") if queries legitimately run longer.`, { cause, code: 'ERR_COACH_DB_QUERY_TIMEOUT' })
    this.timeoutMs = timeoutMs
  }
}

/**
 * The plugin's start-up (credentials, connecting, migration lock, migrations) would not fit
 * Fastify's `pluginTimeout`, so it stopped with this error before Fastify's own
 * `AVV_ERR_PLUGIN_EXEC_TIMEOUT`. `step` says what it was waiting for.
 */
export class StartupTimeoutError extends CoachDbError {
  declare readonly code: ErrorCodeOf<'StartupTimeoutError'>
  /** What start-up was doing when time ran out, e.g. `waiting for the migration lock`. */
  readonly step: string

  constructor (step: string, message: string, options?: { cause?: unknown }) {
    super('ERR_COACH_DB_STARTUP_TIMEOUT', message, options)
    this.step = step
  }
}

/** The codes of {@link FixtureError}. */
export type FixtureErrorCode = ErrorCodeOf<'FixtureError'>

/** Loading fixtures (or `coach-db seed`) failed; `code` says why, `cause` holds the driver error when there is one. */
export class FixtureError extends CoachDbError {
  declare readonly code: FixtureErrorCode

  constructor (code: FixtureErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
