import plugin from './plugin.js'

export default plugin
export { plugin as fastifyCoachDb }
export * from './types.js'
export * from './errors.js'
export { PoolExhaustedError } from './connection/pool-errors.js'
export { EmbeddedEngineError, startEmbedded, type EmbeddedErrorCode, type EmbeddedServer, type StartEmbeddedOptions } from './engine/index.js'
export { Migrator, DEFAULT_META_TABLE, DEFAULT_MIGRATIONS_DIR } from './migrator/index.js'
export type { DownOptions, MigrationContext, MigrationFn, MigrationModule, MigrationStatus, AppliedMigration, MigratorOptions } from './migrator/index.js'
export * from '../models/index.js'
export { checkSchema, diffSchemas, type SchemaCheck } from './drift/index.js'
export { jsonbPath, type JsonbPathStep, type JsonbPathType } from './fixtures/jsonb-path.js'
export type { DatabaseHealth, HealthCheckOptions, HealthRoutesOptions, PoolFigures } from './health.js'
export { runSessionCleanup, SESSION_CLEANUP_LOCK, type SessionCleanupOptions, type SessionCleanupRun } from './session-cleanup.js'
export type { IsolationLevel, RequestTransactionOptions } from './request-transaction.js'
