import { parseConnectionString, type ConnectionTarget } from './target.js'
import { resolveReadReplicas } from '../options.js'
import type { ResolvedOptions } from '../options.js'
import type { Logger } from '../logger.js'
import { OptionsError } from '../errors.js'
import type { SecretLocation } from './secrets-manager.js'
import { staticCredentials, type CredentialProvider } from './provider.js'

// The Secrets Manager path (reader, cache, rotation, RDS secret parsing) is imported on first use:
// an app on DATABASE_URL never loads it (cold start, #12). Import those modules directly.
export { staticCredentials, type CredentialProvider, type LoginCredentials } from './provider.js'

/** Where the connection settings came from; logged at startup (never the values). */
export type CredentialSource = 'connectionString option' | 'DATABASE_URL' | 'secretId option' | 'DB_SECRET_NAME' | 'DB_SECRET_ARN'

/** Connection settings: a loggable target and where each new connection's login comes from. */
export interface ResolvedCredentials {
  source: CredentialSource
  target: ConnectionTarget
  /** Read replicas named in the secret (`readReplicaHosts`). */
  readReplicas?: Array<{ host: string, port: number }>
  /** The primary itself when `target` is a pooler: from the secret's `directHost` / `directPort`. */
  directTarget?: ConnectionTarget
  /** Fixed for a connection string; a rotating secret (refetched on 28P01) for Secrets Manager. */
  credentials: CredentialProvider
}

/** Internal knobs, for tests. */
export interface ResolveCredentialsOverrides {
  /** Attempts per Secrets Manager read, SDK retries included. */
  maxAttempts?: number
  /** Stops the start-up read of the secret (the plugin's start-up budget). */
  signal?: AbortSignal
}

/**
 * Picks the connection source in the documented order (connectionString option, secretId option,
 * DB_SECRET_NAME / DB_SECRET_ARN, DATABASE_URL; `resolveOptions` has already chosen) and reads it.
 * A secret is read once here, for the host and database; later connections reuse that read
 * until the TTL ends.
 */
export async function resolveCredentials (options: ResolvedOptions, log: Logger, overrides: ResolveCredentialsOverrides = {}): Promise<ResolvedCredentials> {
  if (options.connectionString !== undefined) {
    const { target, password } = parseConnectionString(options.connectionString, options.connectionStringOrigin)
    return { source: options.connectionStringOrigin, target, credentials: staticCredentials(target.user, password) }
  }
  if (options.secretId === undefined || options.secretIdOrigin === undefined) {
    throw new OptionsError('No database configured. Pass { connectionString } or { secretId }, or set DATABASE_URL or DB_SECRET_NAME.')
  }
  return await fromSecret({ secretId: options.secretId, region: options.region, endpoint: options.endpoint, maxAttempts: overrides.maxAttempts }, options.secretIdOrigin, options.secretTtlMs, log, overrides.signal)
}

async function fromSecret (location: SecretLocation, source: CredentialSource, ttlMs: number, log: Logger, signal?: AbortSignal): Promise<ResolvedCredentials> {
  const { secretId } = location
  const [{ createSecretReader }, { createRotatingCredentials }] = await Promise.all([import('./secrets-manager.js'), import('./rotating.js')])
  log.info({ source, secretId }, `fastify-coach-db: reading database credentials from AWS Secrets Manager secret "${secretId}" (${source})`)
  const reader = createSecretReader(location)
  try {
    const secret = await reader.read(undefined, signal)
    const target: ConnectionTarget = { host: secret.host, port: secret.port, database: secret.dbname, user: secret.username, ssl: secret.ssl, ...(secret.sslVerify !== undefined ? { sslVerify: secret.sslVerify } : {}) }
    const directTarget = secret.directHost !== undefined ? { ...target, host: secret.directHost, port: secret.directPort ?? target.port } : undefined
    const replicaHosts = secret.readReplicaHosts
    return { source, target, ...(directTarget !== undefined ? { directTarget } : {}), ...(replicaHosts !== undefined ? { readReplicas: resolveReadReplicas(replicaHosts) } : {}), credentials: createRotatingCredentials({ reader, ttlMs, initial: secret, log, secretId }) }
  } catch (err) {
    reader.close()
    throw err
  }
}
