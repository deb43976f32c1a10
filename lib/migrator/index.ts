export { Migrator, DEFAULT_META_TABLE, type DownOptions } from './migrator.js'
export { DEFAULT_MIGRATIONS_DIR, discoverMigrations } from './discover.js'
export { SchemaMigrationsStorage } from './storage.js'
export type * from './types.js'
