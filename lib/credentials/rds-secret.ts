import { inspect } from 'node:util'
import { SecretError } from '../errors.js'
import { effectiveSslMode } from './ssl-mode.js'

/** Database credentials as read from an RDS-style secret. Inspecting or serialising it hides the password. */
export interface RdsSecret {
  readonly username: string
  readonly password: string
  readonly host: string
  readonly port: number
  readonly dbname: string
  /** `engine` as written in the secret, when present (always PostgreSQL-compatible here). */
  readonly engine: string | undefined
  /** TLS on unless the secret says `"sslmode": "disable"` (RDS for PostgreSQL 15+ forces TLS). `prefer`/`allow` are refused. */
  readonly ssl: boolean
  /** `"sslmode": "verify-ca"` or `"verify-full"` in the secret, or an RDS host without sslmode: check the server certificate (PGSSLROOTCERT, else the RDS CA bundle). */
  readonly sslVerify?: 'verify-ca' | 'verify-full'
  /** `"directHost"` (and `"directPort"`): the primary itself when `host` is RDS Proxy / PgBouncer; used for migrations and the lock. */
  readonly directHost?: string
  readonly directPort?: number
  /** `"readReplicaHosts"`: read replica endpoints, an array or comma-separated `host[:port]`. */
  readonly readReplicaHosts?: string[]
}

/** The raw fields of GetSecretValue's answer that matter here. */
export interface SecretPayload {
  SecretString?: string
  SecretBinary?: Uint8Array
}

/** `engine` values of RDS and Aurora secrets that speak the PostgreSQL protocol. */
export const POSTGRES_ENGINES: readonly string[] = ['postgres', 'postgresql', 'aurora-postgresql']

const EXPECTED_SHAPE = '{"username", "password", "host", "port", "dbname", "engine": "postgres"}'

/**
 * Turns GetSecretValue's answer into credentials, or a {@link SecretError} saying which part is
 * wrong. Messages name fields and types, never values: any of them may be the password.
 */
export function parseRdsSecret (payload: SecretPayload, secretId: string): RdsSecret {
  const json = secretJson(payload, secretId)
  const engine = optionalField(json, 'engine', secretId)
  if (engine !== undefined && !POSTGRES_ENGINES.includes(engine.toLowerCase())) {
    // The engine name is not a secret, and naming it is the fastest way to spot the wrong secret.
    throw new SecretError('ERR_COACH_DB_SECRET_ENGINE', secretId, `Secret "${secretId}" is for engine "${engine.slice(0, 40)}", not PostgreSQL. Use the secret of a PostgreSQL or Aurora PostgreSQL database (engine ${POSTGRES_ENGINES.join(', ')}).`)
  }
  const host = requiredString(json, 'host', secretId)
  // A secret's default is `require` (RDS for PostgreSQL 15+ forces TLS), `verify-full` for RDS endpoints.
  const mode = effectiveSslMode(host, optionalField(json, 'sslmode', secretId), `Secret "${secretId}"`, 'require')
  return redacted({
    username: requiredString(json, 'username', secretId),
    password: requiredString(json, 'password', secretId),
    host,
    port: requiredPort(json, secretId),
    dbname: requiredString(json, 'dbname', secretId),
    engine,
    ssl: mode !== 'disable',
    ...(mode === 'verify-ca' || mode === 'verify-full' ? { sslVerify: mode } : {}),
    ...directEndpoint(json, secretId),
    ...replicaHosts(json)
  })
}

function replicaHosts (json: Record<string, unknown>): { readReplicaHosts?: string[] } {
  const value = json.readReplicaHosts
  if (Array.isArray(value)) return { readReplicaHosts: value.filter((v): v is string => typeof v === 'string') }
  if (typeof value === 'string' && value.trim() !== '') return { readReplicaHosts: value.split(',') }
  return {}
}

function directEndpoint (json: Record<string, unknown>, secretId: string): { directHost?: string, directPort?: number } {
  const directHost = optionalField(json, 'directHost', secretId)
  if (directHost === undefined) return {}
  const port = json.directPort
  const directPort = typeof port === 'number' ? port : typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : undefined
  return { directHost, ...(directPort !== undefined ? { directPort } : {}) }
}

function secretJson (payload: SecretPayload, secretId: string): Record<string, unknown> {
  if (typeof payload.SecretString !== 'string') {
    if (payload.SecretBinary !== undefined) {
      throw new SecretError('ERR_COACH_DB_SECRET_BINARY', secretId, `Secret "${secretId}" holds SecretBinary; store the credentials as a JSON SecretString instead, shaped ${EXPECTED_SHAPE}.`)
    }
    throw new SecretError('ERR_COACH_DB_SECRET_NOT_JSON', secretId, `Secret "${secretId}" has no SecretString; store the credentials as JSON shaped ${EXPECTED_SHAPE}.`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(payload.SecretString)
  } catch {
    // No `cause`: JSON.parse's message quotes the start of the input, which is the secret.
    throw new SecretError('ERR_COACH_DB_SECRET_NOT_JSON', secretId, `Secret "${secretId}" is not JSON. Store the credentials as a JSON object shaped ${EXPECTED_SHAPE} (the "Credentials for Amazon RDS database" secret type does this).`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SecretError('ERR_COACH_DB_SECRET_NOT_JSON', secretId, `Secret "${secretId}" is JSON but not an object (got ${kind(parsed)}). Expected ${EXPECTED_SHAPE}.`)
  }
  return parsed as Record<string, unknown>
}

function requiredString (json: Record<string, unknown>, field: string, secretId: string): string {
  const value = json[field]
  if (value === undefined || value === null) throw missingField(field, secretId)
  if (typeof value !== 'string' || value === '') throw wrongType(field, 'a non-empty string', value, secretId)
  return value
}

function optionalField (json: Record<string, unknown>, field: string, secretId: string): string | undefined {
  const value = json[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw wrongType(field, 'a string', value, secretId)
  return value
}

// RDS writes the port as a number; hand-made secrets often have "5432". Both are fine.
function requiredPort (json: Record<string, unknown>, secretId: string): number {
  const value = json.port
  if (value === undefined || value === null) throw missingField('port', secretId)
  const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw wrongType('port', 'a port number (1-65535)', value, secretId)
  }
  return port
}

function missingField (field: string, secretId: string): SecretError {
  // RDS-managed master user secrets (ManageMasterUserPassword) hold only username and password.
  const hint = ['host', 'port', 'dbname'].includes(field) ? ' A secret managed by RDS for the master user holds only username and password; use a secret of type "Credentials for Amazon RDS database" that also has host, port and dbname.' : ''
  return new SecretError('ERR_COACH_DB_SECRET_FIELD', secretId, `Secret "${secretId}" has no "${field}" field. Expected RDS-style JSON ${EXPECTED_SHAPE}.${hint}`)
}

function wrongType (field: string, expected: string, value: unknown, secretId: string): SecretError {
  return new SecretError('ERR_COACH_DB_SECRET_FIELD', secretId, `Field "${field}" of secret "${secretId}" must be ${expected} (got ${kind(value)}).`)
}

// The kind of a value, never the value: it may be the password.
function kind (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string'
  return `a ${typeof value}`
}

// Credentials end up in closures and caches that someone will eventually log while debugging.
function redacted (secret: RdsSecret): RdsSecret {
  const describe = (): string => `RdsSecret { ${secret.username}@${secret.host}:${secret.port}/${secret.dbname}, password: [redacted] }`
  const safe = { ...secret }
  Object.defineProperties(safe, {
    password: { value: secret.password, enumerable: false },
    toString: { value: describe, enumerable: false },
    toJSON: { value: () => ({ ...safe, password: '[redacted]' }), enumerable: false },
    [inspect.custom]: { value: describe, enumerable: false }
  })
  return Object.freeze(safe)
}
