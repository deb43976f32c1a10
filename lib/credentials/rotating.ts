import { inspect } from 'node:util'
import type { Logger } from '../logger.js'
import { SecretCache } from './secret-cache.js'
import type { SecretReader } from './secrets-manager.js'
import type { RdsSecret } from './rds-secret.js'
import type { CredentialProvider } from './provider.js'

export type { LoginCredentials } from './provider.js'

/**
 * Credentials that can change while the app runs (a rotated secret): a {@link CredentialProvider}
 * whose `current()` is cached for the TTL (one shared fetch when expired) and whose `recover()`
 * fetches the secret again. The pool's open connections are unaffected.
 */
export type RotatingCredentials = CredentialProvider

/**
 * How long a new connection waits for the refresh of an expired secret before logging in with
 * the cached one (the refresh goes on; a rotation is caught by the 28P01 refetch anyway).
 */
export const STALE_WAIT_MS = 1_000

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
    staleWaitMs: STALE_WAIT_MS,
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
    description: 'secret',
    current: async () => await cache.get(),
    recover,
    close: () => { reader.close() },
    toString: describe,
    toJSON: describe,
    [inspect.custom]: describe
  } as RotatingCredentials
}
