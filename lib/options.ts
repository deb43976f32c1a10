import { delimiter } from 'node:path'
import { Sequelize } from 'sequelize-typescript'
import { OptionsError } from './errors.js'
import type { CoachDbOptions, ConnectRetryOptions, IamAuthOptions, MigrationLockMode, PoolOptions } from './types.js'
import type { HealthRoutesOptions } from './health.js'
import type { SessionCleanupOptions } from './session-cleanup.js'
import {
  DEFAULT_ACCEPT_EDITED_MIGRATIONS, DEFAULT_CONNECT_RETRY, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_HEALTH_ROUTES_PREFIX,
  DEFAULT_HEALTH_TIMEOUT_MS, DEFAULT_LOCK_TIMEOUT, DEFAULT_MIGRATE, DEFAULT_MIGRATION_LOCK, DEFAULT_POOL,
  DEFAULT_SECRET_TTL_MS, DEFAULT_SESSION_CLEANUP, DEFAULT_STATEMENT_TIMEOUT_MS, defaultQueryTimeoutMs
} from './defaults.js'

export { DEFAULT_POOL, DEFAULT_CONNECT_RETRY, DEFAULT_SECRET_TTL_MS }

/**
 * Options after validation and defaults; environment variables already folded in. The plugin and
 * the CLI both get theirs from {@link resolveOptions}, and the layers below take these names
 * unchanged (the migrator's `migrationLock`, `lockTimeout`, `acceptEditedMigrations`, `migrationsDir`).
 */
export interface ResolvedOptions {
  connectionString: string | undefined
  connectionStringOrigin: 'connectionString option' | 'DATABASE_URL'
  sequelize: Sequelize | undefined
  /** The secret to read: option `secretId`, else env `DB_SECRET_NAME`/`DB_SECRET_ARN`; unset when a `connectionString` option is given. */
  secretId: string | undefined
  secretIdOrigin: 'secretId option' | 'DB_SECRET_NAME' | 'DB_SECRET_ARN' | undefined
  /** Option `region`, else env `AWS_REGION`. */
  region: string | undefined
  endpoint: string | undefined
  secretTtlMs: number
  pool: Required<PoolOptions>
  migrate: boolean
  connectRetry: Required<ConnectRetryOptions>
  migrationsDir: string | readonly string[] | undefined
  statementTimeoutMs: number
  /** Client-side query bound, default derived from `statementTimeoutMs`. */
  queryTimeoutMs: number
  connectTimeoutMs: number
  migrationLock: MigrationLockMode | false
  lockTimeout: number
  acceptEditedMigrations: boolean
  /** `false`, or where the readiness and liveness routes go. */
  healthRoutes: Required<HealthRoutesOptions> | false
  healthTimeoutMs: number
  sessionCleanup: Required<SessionCleanupOptions> | false
  /** `false`, or IAM authentication with the endpoint to sign for (unset: the connection's). */
  iamAuth: false | IamAuthOptions
  /** Option `readReplicas`, else env `DATABASE_REPLICA_URLS`, as host and port. */
  readReplicas: Array<{ host: string, port: number }>
  /** Option `directUrl`, else env `DIRECT_DATABASE_URL`. */
  directUrl: string | undefined
  /** Option `pooler`, else env `DB_POOLER`; unset means detect (RDS Proxy hosts). */
  pooler: 'transaction' | 'none' | undefined
}

const KNOWN_KEYS: ReadonlyArray<keyof CoachDbOptions> = [
  'connectionString', 'sequelize', 'secretId', 'region', 'endpoint', 'secretTtlMs',
  'pool', 'migrate', 'connectRetry', 'connectTimeoutMs', 'migrationsDir', 'statementTimeoutMs', 'queryTimeoutMs',
  'migrationLock', 'lockTimeout', 'acceptEditedMigrations',
  'healthRoutes', 'healthTimeoutMs', 'sessionCleanup', 'directUrl', 'pooler', 'readReplicas', 'iamAuth'
]

const LOCK_MODES = ['wait', 'skip', 'fail'] as const

/**
 * Checks every option before anything connects, so a typo fails at `register` with a message
 * that names the option, instead of surfacing later as a confusing driver error. Values are never
 * echoed: a connection string may hold a password.
 *
 * The one place where the environment becomes options, for the plugin and the CLI alike (the CLI
 * passes its flags as options): an option wins over its variable, a variable over the default
 * (lib/defaults.ts). Variables: DATABASE_URL, DB_SECRET_NAME / DB_SECRET_ARN, AWS_REGION,
 * AWS_ENDPOINT_URL_SECRETS_MANAGER, DB_MIGRATE, DB_IAM_AUTH, DATABASE_REPLICA_URLS,
 * DIRECT_DATABASE_URL, DB_POOLER, COACH_DB_MIGRATIONS_DIR, COACH_DB_MIGRATION_LOCK, COACH_DB_LOCK_TIMEOUT.
 */
export function resolveOptions (input: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new OptionsError('fastify-coach-db options must be an object, e.g. { connectionString: process.env.DATABASE_URL }.')
  }
  const opts = input as Record<string, unknown>
  rejectUnknownKeys(opts)

  const connectionString = optionalString(opts, 'connectionString')
  const sequelize = opts.sequelize
  if (sequelize !== undefined && !(sequelize instanceof Sequelize)) {
    throw new OptionsError('Option "sequelize" must be a Sequelize instance from sequelize-typescript (import { Sequelize } from \'sequelize-typescript\').')
  }
  if (sequelize !== undefined && connectionString !== undefined) {
    throw new OptionsError('Pass either "sequelize" or "connectionString", not both: with "sequelize" the plugin uses that instance\'s connection.')
  }
  const secretId = optionalString(opts, 'secretId')
  const envUrl = nonEmpty(env.DATABASE_URL)
  const envSecret = nonEmpty(env.DB_SECRET_NAME) ?? nonEmpty(env.DB_SECRET_ARN)
  // Source order: connectionString option, secretId option, DB_SECRET_NAME/ARN, DATABASE_URL.
  // A `sequelize` passed in is the connection: the environment's sources are not read at all.
  const secret = connectionString !== undefined || sequelize !== undefined ? undefined : pickSecret(secretId, env)
  if (connectionString === undefined && sequelize === undefined && secretId === undefined && envSecret === undefined && envUrl === undefined) {
    throw new OptionsError('No database configured. Pass { connectionString: "postgres://user:password@host:5432/db" }, a { secretId } for AWS Secrets Manager, or an existing { sequelize }; or set DATABASE_URL or DB_SECRET_NAME.')
  }

  const statementTimeoutMs = optionalInteger(opts, 'statementTimeoutMs', 0) ?? DEFAULT_STATEMENT_TIMEOUT_MS
  return {
    connectionString: connectionString ?? (secret === undefined && sequelize === undefined ? envUrl : undefined),
    connectionStringOrigin: connectionString !== undefined ? 'connectionString option' : 'DATABASE_URL',
    sequelize: sequelize as Sequelize | undefined,
    secretId: secret?.id,
    secretIdOrigin: secret?.origin,
    region: optionalString(opts, 'region') ?? nonEmpty(env.AWS_REGION),
    endpoint: optionalString(opts, 'endpoint') ?? nonEmpty(env.AWS_ENDPOINT_URL_SECRETS_MANAGER),
    secretTtlMs: optionalInteger(opts, 'secretTtlMs', 0) ?? DEFAULT_SECRET_TTL_MS,
    pool: resolvePool(opts.pool),
    migrate: optionalBoolean(opts, 'migrate') ?? (env.DB_MIGRATE === 'true' || DEFAULT_MIGRATE),
    connectRetry: resolveConnectRetry(opts.connectRetry),
    migrationsDir: resolveMigrationsDir(opts.migrationsDir) ?? migrationsDirsFromEnv(env),
    statementTimeoutMs,
    queryTimeoutMs: optionalInteger(opts, 'queryTimeoutMs', 0) ?? defaultQueryTimeoutMs(statementTimeoutMs),
    connectTimeoutMs: optionalInteger(opts, 'connectTimeoutMs', 1) ?? DEFAULT_CONNECT_TIMEOUT_MS,
    migrationLock: resolveMigrationLock(opts.migrationLock) ?? migrationLockFromEnv(env) ?? DEFAULT_MIGRATION_LOCK,
    lockTimeout: optionalInteger(opts, 'lockTimeout', 0) ?? lockTimeoutFromEnv(env) ?? DEFAULT_LOCK_TIMEOUT,
    acceptEditedMigrations: optionalBoolean(opts, 'acceptEditedMigrations') ?? DEFAULT_ACCEPT_EDITED_MIGRATIONS,
    healthRoutes: resolveHealthRoutes(opts.healthRoutes),
    healthTimeoutMs: optionalInteger(opts, 'healthTimeoutMs', 1) ?? DEFAULT_HEALTH_TIMEOUT_MS,
    sessionCleanup: resolveSessionCleanup(opts.sessionCleanup),
    iamAuth: resolveIamAuth(opts.iamAuth ?? env.DB_IAM_AUTH === 'true'),
    readReplicas: resolveReadReplicas(opts.readReplicas ?? nonEmpty(env.DATABASE_REPLICA_URLS)?.split(',')),
    directUrl: optionalString(opts, 'directUrl') ?? nonEmpty(env.DIRECT_DATABASE_URL),
    pooler: resolvePooler(opts.pooler ?? nonEmpty(env.DB_POOLER))
  }
}

/**
 * What the migrator takes of the resolved options, under the same names. The plugin shortens
 * `lockTimeout` to fit its start-up budget; everything else passes through as resolved.
 */
export function migratorOptions (options: ResolvedOptions): Pick<ResolvedOptions, 'migrationsDir' | 'migrationLock' | 'lockTimeout' | 'acceptEditedMigrations'> {
  const { migrationsDir, migrationLock, lockTimeout, acceptEditedMigrations } = options
  return { migrationsDir, migrationLock, lockTimeout, acceptEditedMigrations }
}

function resolveIamAuth (value: unknown): false | IamAuthOptions {
  if (value === false) return false
  if (value === true) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OptionsError(`Option "iamAuth" must be true, false or { hostname, port } (got ${describe(value)}).`)
  }
  const opts = value as Record<string, unknown>
  const unknown = Object.keys(opts).filter(k => k !== 'hostname' && k !== 'port')
  if (unknown.length > 0) throw new OptionsError(`Unknown option "iamAuth.${unknown[0]}". iamAuth takes hostname and port.`)
  const hostname = optionalString(opts, 'hostname')
  const port = optionalInteger(opts, 'port', 1, 'iamAuth.')
  return { ...(hostname !== undefined ? { hostname } : {}), ...(port !== undefined ? { port } : {}) }
}

/** `postgres://…` URLs or `host[:port]` to host and port (port 5432 when not given). */
export function resolveReadReplicas (value: unknown): Array<{ host: string, port: number }> {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) {
    throw new OptionsError('Option "readReplicas" must be an array of postgres:// URLs or "host:port" strings.')
  }
  return (value as string[]).map(v => v.trim()).filter(v => v !== '').map(entry => {
    if (/^postgres(ql)?:\/\//.test(entry)) {
      const url = new URL(entry)
      return { host: url.hostname, port: Number(url.port || 5432) }
    }
    const [host, port] = entry.split(':')
    if (host === '' || (port !== undefined && !/^\d+$/.test(port))) throw new OptionsError(`Option "readReplicas": "${entry.slice(0, 80)}" is neither a postgres:// URL nor host[:port].`)
    return { host, port: port !== undefined ? Number(port) : 5432 }
  })
}

function resolvePooler (value: unknown): 'transaction' | 'none' | undefined {
  if (value === undefined) return undefined
  if (value === 'transaction' || value === 'none') return value
  throw new OptionsError(`Option "pooler" must be "transaction" (PgBouncer pool_mode=transaction, RDS Proxy) or "none" (got ${JSON.stringify(value)}).`)
}

function resolveMigrationsDir (value: unknown): string | readonly string[] | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string' && value.trim() !== '') return value
  if (Array.isArray(value) && value.length > 0 && value.every(dir => typeof dir === 'string' && dir.trim() !== '')) return value as string[]
  throw new OptionsError(`Option "migrationsDir" must be a folder path or a non-empty array of them (got ${describe(value)}).`)
}

function resolveHealthRoutes (value: unknown): Required<HealthRoutesOptions> | false {
  if (value === undefined || value === false) return false
  if (value === true) return { prefix: DEFAULT_HEALTH_ROUTES_PREFIX }
  const routes = objectOption(value, 'healthRoutes', ['prefix'], ', true or false')
  const prefix = optionalString(routes, 'prefix') ?? DEFAULT_HEALTH_ROUTES_PREFIX
  if (!prefix.startsWith('/')) throw new OptionsError('Option "healthRoutes.prefix" must start with "/" (e.g. "/health").')
  return { prefix }
}

function resolveSessionCleanup (value: unknown): Required<SessionCleanupOptions> | false {
  if (value === undefined || value === false) return false
  if (value === true) return { ...DEFAULT_SESSION_CLEANUP }
  const cleanup = objectOption(value, 'sessionCleanup', ['intervalMs', 'batchSize', 'maxBatchesPerRun'], ', true or false')
  return {
    intervalMs: optionalInteger(cleanup, 'intervalMs', 1, 'sessionCleanup.') ?? DEFAULT_SESSION_CLEANUP.intervalMs,
    batchSize: optionalInteger(cleanup, 'batchSize', 1, 'sessionCleanup.') ?? DEFAULT_SESSION_CLEANUP.batchSize,
    maxBatchesPerRun: optionalInteger(cleanup, 'maxBatchesPerRun', 1, 'sessionCleanup.') ?? DEFAULT_SESSION_CLEANUP.maxBatchesPerRun
  }
}

function resolveMigrationLock (value: unknown): MigrationLockMode | false | undefined {
  if (value === undefined) return undefined
  if (value === false || (LOCK_MODES as readonly unknown[]).includes(value)) return value as MigrationLockMode | false
  throw new OptionsError(`Option "migrationLock" must be 'wait', 'skip', 'fail' or false (got ${describe(value)}).`)
}

/** COACH_DB_MIGRATION_LOCK: wait | skip | fail | off (no lock). */
function migrationLockFromEnv (env: NodeJS.ProcessEnv): MigrationLockMode | false | undefined {
  const lock = nonEmpty(env.COACH_DB_MIGRATION_LOCK)
  if (lock === undefined) return undefined
  if (lock === 'off') return false
  if ((LOCK_MODES as readonly string[]).includes(lock)) return lock as MigrationLockMode
  throw new OptionsError(`COACH_DB_MIGRATION_LOCK must be wait, skip, fail or off (got "${lock}").`)
}

/** COACH_DB_LOCK_TIMEOUT: the migration lock's longest wait, in ms. */
function lockTimeoutFromEnv (env: NodeJS.ProcessEnv): number | undefined {
  const timeout = nonEmpty(env.COACH_DB_LOCK_TIMEOUT)
  if (timeout === undefined) return undefined
  if (!/^\d+$/.test(timeout)) throw new OptionsError(`COACH_DB_LOCK_TIMEOUT must be a whole number of milliseconds (got "${timeout}").`)
  return Number(timeout)
}

/**
 * COACH_DB_MIGRATIONS_DIR: one folder, or several separated by `:` (`;` on Windows), e.g. the
 * package's own and the app's. Unset: the default folders (see lib/migrator/folders.ts).
 */
export function migrationsDirsFromEnv (env: NodeJS.ProcessEnv): string[] | undefined {
  const dirs = env.COACH_DB_MIGRATIONS_DIR?.split(delimiter).filter(dir => dir.trim() !== '')
  return dirs === undefined || dirs.length === 0 ? undefined : dirs
}

function pickSecret (option: string | undefined, env: NodeJS.ProcessEnv): { id: string, origin: NonNullable<ResolvedOptions['secretIdOrigin']> } | undefined {
  if (option !== undefined) return { id: option, origin: 'secretId option' }
  const name = nonEmpty(env.DB_SECRET_NAME)
  if (name !== undefined) return { id: name, origin: 'DB_SECRET_NAME' }
  const arn = nonEmpty(env.DB_SECRET_ARN)
  return arn !== undefined ? { id: arn, origin: 'DB_SECRET_ARN' } : undefined
}

function rejectUnknownKeys (opts: Record<string, unknown>): void {
  for (const key of Object.keys(opts)) {
    if ((KNOWN_KEYS as readonly string[]).includes(key)) continue
    const suggestion = closest(key, KNOWN_KEYS)
    throw new OptionsError(`Unknown option "${key}".${suggestion ? ` Did you mean "${suggestion}"?` : ''} Known options: ${KNOWN_KEYS.join(', ')}.`)
  }
}

function resolvePool (value: unknown): Required<PoolOptions> {
  if (value === undefined) return { ...DEFAULT_POOL }
  const pool = objectOption(value, 'pool', ['max', 'min', 'acquire', 'idle'])
  const resolved = {
    max: optionalInteger(pool, 'max', 1, 'pool.') ?? DEFAULT_POOL.max,
    min: optionalInteger(pool, 'min', 0, 'pool.') ?? DEFAULT_POOL.min,
    acquire: optionalInteger(pool, 'acquire', 1, 'pool.') ?? DEFAULT_POOL.acquire,
    idle: optionalInteger(pool, 'idle', 1, 'pool.') ?? DEFAULT_POOL.idle
  }
  if (resolved.min > resolved.max) {
    throw new OptionsError(`Option "pool.min" (${resolved.min}) must not exceed "pool.max" (${resolved.max}).`)
  }
  return resolved
}

function resolveConnectRetry (value: unknown): Required<ConnectRetryOptions> {
  if (value === undefined) return { ...DEFAULT_CONNECT_RETRY }
  if (value === false) return { ...DEFAULT_CONNECT_RETRY, attempts: 1 }
  const retry = objectOption(value, 'connectRetry', ['attempts', 'initialDelayMs', 'maxDelayMs'], ' or false')
  return {
    attempts: optionalInteger(retry, 'attempts', 1, 'connectRetry.') ?? DEFAULT_CONNECT_RETRY.attempts,
    initialDelayMs: optionalInteger(retry, 'initialDelayMs', 0, 'connectRetry.') ?? DEFAULT_CONNECT_RETRY.initialDelayMs,
    maxDelayMs: optionalInteger(retry, 'maxDelayMs', 0, 'connectRetry.') ?? DEFAULT_CONNECT_RETRY.maxDelayMs
  }
}

function objectOption (value: unknown, name: string, keys: string[], alternative = ''): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionsError(`Option "${name}" must be an object${alternative} (got ${describe(value)}).`)
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new OptionsError(`Unknown option "${name}.${key}". Known: ${keys.map(k => `${name}.${k}`).join(', ')}.`)
  }
  return value as Record<string, unknown>
}

function optionalString (opts: Record<string, unknown>, key: string): string | undefined {
  const value = opts[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') {
    throw new OptionsError(`Option "${key}" must be a non-empty string (got ${describe(value)}).`)
  }
  return value
}

function optionalBoolean (opts: Record<string, unknown>, key: string): boolean | undefined {
  const value = opts[key]
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new OptionsError(`Option "${key}" must be true or false (got ${describe(value)}).`)
  return value
}

function optionalInteger (opts: Record<string, unknown>, key: string, min: number, prefix = ''): number | undefined {
  const value = opts[key]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new OptionsError(`Option "${prefix}${key}" must be a whole number >= ${min} (got ${describe(value)}).`)
  }
  return value
}

// Says what kind of value was passed without printing it: it may be a secret.
function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string'
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'a non-finite number'
  return `a ${typeof value}`
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

function closest (key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) { best = candidate; bestDistance = d }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined
}

function editDistance (a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length] as number
}
