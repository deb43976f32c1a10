import { deadline, type Deadline } from '../deadline.js'

/** Options of {@link SecretCache}. */
export interface SecretCacheOptions<T> {
  /** Fetches the value (one network read). */
  fetch: () => Promise<T>
  /** How long a fetched value is used before the next {@link SecretCache.get} fetches again, in ms. */
  ttlMs: number
  /** Told when a refresh after expiry failed and the previous value is kept. */
  onStaleError?: (err: unknown) => void
  /**
   * Longest wait of a {@link SecretCache.get} for the refresh of an expired value, in ms; after
   * it the previous value is returned while the refresh goes on (its result is kept when it
   * lands). Default: wait for the refresh.
   */
  staleWaitMs?: number
  /** Clock, for tests. */
  now?: () => number
}

/**
 * A value fetched on demand and kept for `ttlMs`. Concurrent callers share one fetch (single
 * flight), so a burst of new pool connections costs one GetSecretValue, not one each.
 */
export class SecretCache<T> {
  readonly #options: SecretCacheOptions<T>
  readonly #now: () => number
  #value: T | undefined
  #fetchedAt = 0
  #inFlight: Promise<T> | undefined
  #expiredRead: Promise<T> | undefined

  constructor (options: SecretCacheOptions<T>) {
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  /** The cached value if still fresh, else a fetched one. */
  async get (): Promise<T> {
    if (this.#value !== undefined && this.#now() - this.#fetchedAt < this.#options.ttlMs) return this.#value
    const previous = this.#value
    this.#expiredRead ??= this.#refreshOrKeep().finally(() => { this.#expiredRead = undefined })
    const { staleWaitMs } = this.#options
    if (previous === undefined || staleWaitMs === undefined) return await this.#expiredRead
    // A slow or stalled endpoint costs a new connection at most staleWaitMs, never an outage.
    let timer: Deadline | undefined
    const stale = new Promise<T>(resolve => { timer = deadline(staleWaitMs, () => { resolve(previous) }) })
    try {
      return await Promise.race([this.#expiredRead, stale])
    } finally {
      timer?.cancel()
    }
  }

  /** The cached value without fetching, fresh or not; `undefined` before the first fetch. */
  peek (): T | undefined {
    return this.#value
  }

  /** Fetches now, ignoring the TTL; joins a fetch already under way. */
  async refresh (): Promise<T> {
    this.#inFlight ??= this.#fetch()
    return await this.#inFlight
  }

  /** Replaces the value as if just fetched. */
  set (value: T): void {
    this.#value = value
    this.#fetchedAt = this.#now()
  }

  // Shared by every caller that found the value expired, so a failure is reported once.
  async #refreshOrKeep (): Promise<T> {
    const previous = this.#value
    try {
      return await this.refresh()
    } catch (err) {
      // Expired is not invalid: rotation is signalled by the database (28P01), so an outage of
      // Secrets Manager must not take down new connections that the old password still opens.
      if (previous === undefined) throw err
      this.#options.onStaleError?.(err)
      this.#fetchedAt = this.#now()
      return previous
    }
  }

  async #fetch (): Promise<T> {
    try {
      const value = await this.#options.fetch()
      this.set(value)
      return value
    } finally {
      this.#inFlight = undefined
    }
  }
}
