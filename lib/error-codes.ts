/**
 * Every `code` a {@link CoachDbError} can carry, mapped to the class whose instances carry it.
 * This is the one list: `CoachDbError.code` is typed from it, so a misspelt code is a compile
 * error, and the README's error table is generated from it (`node scripts/error-table.mjs --write`;
 * a test fails when the two differ). One line of JSDoc per code says when it is thrown.
 */
export const ERROR_CODES = {
  // Options and start-up
  /** The plugin's options, the CLI's environment or a model method's arguments are not usable as given; the message names the option. */
  ERR_COACH_DB_OPTIONS: 'OptionsError',
  /** Start-up would not fit Fastify's `pluginTimeout`; `step` says what it was waiting for (secret, connecting, migration lock, migrations). */
  ERR_COACH_DB_STARTUP_TIMEOUT: 'StartupTimeoutError',
  /** The installed Sequelize is not the major version (or lacks an internal) this package was built against; install the one named. */
  ERR_COACH_DB_SEQUELIZE_VERSION: 'CoachDbError',
  /** Request transactions were asked for, but `Sequelize.useCLS()` was already called with another namespace. */
  ERR_COACH_DB_CLS_IN_USE: 'CoachDbError',

  // Connecting and querying
  /** The server was not reachable within `connectRetry` at start-up, or (while running) the pool could not open a new connection within `connectTimeoutMs`. */
  ERR_COACH_DB_CONNECTION: 'ConnectionError',
  /** TLS to the server failed for the `sslmode` in force: its certificate names another host or no trusted CA signed it, or it does not accept TLS. */
  ERR_COACH_DB_TLS: 'ConnectionError',
  /** At start-up the server refused the user or password (28P01), also after refetching the secret. */
  ERR_COACH_DB_AUTH: 'ConnectionError',
  /** The database named in the connection settings does not exist on the server (3D000). */
  ERR_COACH_DB_NO_DATABASE: 'ConnectionError',
  /** The server did not answer a query within `queryTimeoutMs`; its connection was dropped. */
  ERR_COACH_DB_QUERY_TIMEOUT: 'QueryTimeoutError',
  /** Every pool connection stayed busy for `pool.acquire` ms, so the query was not run. */
  ERR_COACH_DB_POOL_EXHAUSTED: 'PoolExhaustedError',

  // AWS Secrets Manager (docs/credentials.md)
  /** No such secret (or no `AWSCURRENT` version) in that region. */
  ERR_COACH_DB_SECRET_NOT_FOUND: 'SecretError',
  /** The AWS identity lacks `secretsmanager:GetSecretValue` on the secret, or `kms:Decrypt` on its key. */
  ERR_COACH_DB_SECRET_ACCESS_DENIED: 'SecretError',
  /** Reads of the secret were still throttled after the SDK's retries. */
  ERR_COACH_DB_SECRET_THROTTLED: 'SecretError',
  /** The secret holds `SecretBinary`, not a JSON `SecretString`. */
  ERR_COACH_DB_SECRET_BINARY: 'SecretError',
  /** The secret's `SecretString` is missing, not JSON, or not a JSON object. */
  ERR_COACH_DB_SECRET_NOT_JSON: 'SecretError',
  /** A field of the secret (`username`, `password`, `host`, …) is missing or of the wrong type. */
  ERR_COACH_DB_SECRET_FIELD: 'SecretError',
  /** The secret's `engine` is not PostgreSQL-compatible. */
  ERR_COACH_DB_SECRET_ENGINE: 'SecretError',
  /** No AWS region is configured for the secret (option `region`, `AWS_REGION` or a full ARN). */
  ERR_COACH_DB_SECRET_REGION: 'SecretError',
  /** Secrets Manager did not answer a read within its bounds (attempts × request timeout). */
  ERR_COACH_DB_SECRET_TIMEOUT: 'SecretError',
  /** Reading the secret failed for any other reason (network, AWS credentials, …); see `cause`. */
  ERR_COACH_DB_SECRET_FETCH: 'SecretError',

  // Migrations
  /** A migration failed: the error names it, the SQLSTATE and the statement; nothing of it was applied. */
  ERR_COACH_DB_MIGRATION: 'MigrationError',
  /** Another process holds the migration lock (`migrationLock: 'fail'`, or `lockTimeout` ran out). */
  ERR_COACH_DB_MIGRATION_LOCKED: 'MigrationError',
  /** The migration lock's connection died; nothing more was applied. */
  ERR_COACH_DB_MIGRATION_LOCK_LOST: 'MigrationError',
  /** An applied migration's file changed since it ran (its checksum differs). */
  ERR_COACH_DB_MIGRATION_EDITED: 'MigrationError',
  /** `down` would revert a migration recorded as applied whose file is in none of the folders searched; nothing was reverted. */
  ERR_COACH_DB_MIGRATION_MISSING: 'MigrationError',
  /** A migration file does not export async `up` and `down` functions. */
  ERR_COACH_DB_MIGRATION_INVALID: 'MigrationError',
  /** `plan` met a statement outside the migration's transaction and refused it before it was sent. */
  ERR_COACH_DB_PLAN_UNSAFE: 'MigrationError',

  // The embedded engine (docs/embedded.md)
  /** A `pglite://` URL names no usable target (no path, or options after it). */
  ERR_COACH_DB_EMBEDDED_URL: 'EmbeddedEngineError',
  /** The embedded data directory can't be used: a file, not writable, or a non-empty folder that is not a PGlite data directory. */
  ERR_COACH_DB_EMBEDDED_DIRECTORY: 'EmbeddedEngineError',
  /** Another process (or another engine in this one) has the embedded data directory open. */
  ERR_COACH_DB_EMBEDDED_IN_USE: 'EmbeddedEngineError',
  /** PGlite itself failed to start; see `cause`. */
  ERR_COACH_DB_EMBEDDED_START: 'EmbeddedEngineError',
  /** A `pglite://` URL was given but PGlite (an optional peer dependency) is not installed. */
  ERR_COACH_DB_EMBEDDED_MISSING: 'EmbeddedEngineError',
  /** An option the embedded engine cannot honour was set (`statementTimeoutMs`). */
  ERR_COACH_DB_EMBEDDED_OPTION: 'EmbeddedEngineError',

  // Fixtures and test helpers (docs/testing.md)
  /** The fixture rows (or some of them) are already in the database. */
  ERR_COACH_DB_FIXTURES_LOADED: 'FixtureError',
  /** An insert of fixtures failed against existing data (e.g. an email already taken); nothing was loaded. */
  ERR_COACH_DB_FIXTURES_CONFLICT: 'FixtureError',
  /** `only` names a table or label that does not exist, or the `db` given is not usable. */
  ERR_COACH_DB_FIXTURES_USAGE: 'FixtureError',
  /** Fixtures were loaded into a database whose tables are missing: it was never migrated. */
  ERR_COACH_DB_NOT_MIGRATED: 'FixtureError',
  /** `coach-db seed` found data and was not told `--force` (the CLI prints this code and exits non-zero). */
  ERR_COACH_DB_NOT_EMPTY: 'FixtureError',
  /** Under the test harness, a transaction waited too long for the test connection, or raw `BEGIN`/`COMMIT` (or a failed rollback) would end the test's transaction. */
  ERR_COACH_DB_TEST_TRANSACTION: 'CoachDbError',
  /** `jsonbPath` was given an empty path, an unknown type or a step that is not a key or an index. */
  ERR_COACH_DB_JSONB_PATH: 'CoachDbError'
} as const

/** The union of every code: what `err.code` is on any {@link CoachDbError}. */
export type CoachDbErrorCode = keyof typeof ERROR_CODES

/** The error classes of this package (the values of {@link ERROR_CODES}). */
export type CoachDbErrorClassName = (typeof ERROR_CODES)[CoachDbErrorCode]

/** The codes carried by instances of the named class(es), e.g. `ErrorCodeOf<'SecretError'>`. */
export type ErrorCodeOf<Name extends CoachDbErrorClassName> = {
  [Code in CoachDbErrorCode]: (typeof ERROR_CODES)[Code] extends Name ? Code : never
}[CoachDbErrorCode]
