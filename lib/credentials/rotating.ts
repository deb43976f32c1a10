import { inspect } from 'node:util'
import type { Logger } from '../connection/logger.js'
import { SecretCache } from './secret-cache.js'
import type { SecretReader } from './secrets-manager.js'
import type { RdsSecret } from './rds-secret.js'

/** The user name and password a new connection should log in with. */
export interface LoginCredentials {
  readonly username: string
  readonly password: string
}

/**
 * Credentials that can change while the app runs (a rotated secret). Sequelize asks for them on
 * every new connection; the pool's open connections are unaffected.
 */
export interface RotatingCredentials {
  /** For the next new connection: cached for the TTL, one shared fetch when expired. */
  current: () => Promise<LoginCredentials>
  /**
   * PostgreSQL refused `failedPassword` (28P01). Fetches the secret again and resolves `true` when
   * a different password is now current, i.e. one more attempt is worth it.
   */
  recover: (failedPassword: string | undefined) => Promise<boolean>
  /** Releases the SDK client. */
  close: () => void
}

/** Options of {@link createRotatingCredentials}. */
export interface RotatingCredentialsOptions {
  reader: SecretReader
  /** How long a fetched secret is trusted, in ms. */
  ttlMs: number
  /** The secret already read at startup, so the first connection does not read it again. */
  initial?: RdsSecret
  log: Logger
  /** Secret name for log lines. */
  secretId: string
}

/**
 * Rotation-aware credentials over a {@link SecretReader}. On a refused password it also looks at
 * the `AWSPENDING` version: AWS's single-user rotation changes the database password *before*
 * it moves `AWSCURRENT`, and during that gap only the pending password works.
 */
export function createRotatingCredentials (options: RotatingCredentialsOptions): RotatingCredentials {
  const { reader, log, secretId } = options
  const cache = new SecretCache<RdsSecret>({
    fetch: async () => await reader.read(),
    ttlMs: options.ttlMs,
    onStaleError: (err) => {
      log.warn({ secretId, code: (err as { code?: string }).code }, `fastify-coach-db: could not refresh secret "${secretId}" (${(err as Error).message}); new connections keep using the cached credentials`)
    }
  })
  if (options.initial !== undefined) cache.set(options.initial)

  // Connections refused together (a pool filling up after a rotation) share one recovery.
  let recovering: { failedPassword: string | undefined, done: Promise<boolean> } | undefined

  async function recover (failedPassword: string | undefined): Promise<boolean> {
    // Another connection may already have fetched the new password; then no request is needed.
    const cached = cache.peek()
    if (cached !== undefined && cached.password !== failedPassword) return true
    let shared = recovering
    if (shared === undefined || shared.failedPassword !== failedPassword) {
      const done = fetchReplacement(failedPassword).finally(() => { if (recovering?.done === done) recovering = undefined })
      shared = recovering = { failedPassword, done }
    }
    return await shared.done
  }

  async function fetchReplacement (failedPassword: string | undefined): Promise<boolean> {
    const fresh = await cache.refresh()
    if (fresh.password !== failedPassword) {
      log.info({ secretId }, `fastify-coach-db: fetched rotated credentials from secret "${secretId}"`)
      return true
    }
    const pending = await reader.read('AWSPENDING').catch(() => undefined)
    if (pending !== undefined && pending.password !== failedPassword) {
      log.info({ secretId }, `fastify-coach-db: secret "${secretId}" is mid-rotation; using its AWSPENDING version`)
      cache.set(pending)
      return true
    }
    return false
  }

  const describe = (): string => `RotatingCredentials { secret: ${secretId} }`
  return {
    current: async () => await cache.get(),
    recover,
    close: reader.close,
    toString: describe,
    toJSON: describe,
    [inspect.custom]: describe
  } as RotatingCredentials
}

/** Whether a `password` setting is rotating credentials rather than a fixed password. */
export function isRotating (password: unknown): password is RotatingCredentials {
  return typeof password === 'object' && password !== null && typeof (password as RotatingCredentials).recover === 'function'
}
