import { CoachDbError } from '../../errors.js'

/** A first-come, first-served lock. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve()

  /**
   * Waits for every earlier holder, then resolves to the release function. With `timeoutMs`, gives
   * up with `timeoutError()` instead of waiting forever (the place stays in the queue and is
   * handed on as soon as it comes up, so later waiters are not blocked).
   */
  async acquire (timeoutMs?: number, timeoutError?: () => Error): Promise<() => void> {
    const previous = this.tail
    let release!: () => void
    this.tail = new Promise<void>(resolve => { release = resolve })
    if (timeoutMs === undefined) {
      await previous
      return once(release)
    }
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(timeoutError?.() ?? new CoachDbError('ERR_COACH_DB_TEST_TRANSACTION', `The test harness's lock was not acquired within ${timeoutMs} ms.`)) }, timeoutMs)
    })
    try {
      await Promise.race([previous, timeout])
      return once(release)
    } catch (err) {
      void previous.then(release)
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  /** Runs `fn` while holding the lock. */
  async run<T> (fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire()
    try {
      return await fn()
    } finally {
      release()
    }
  }
}

function once (fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}
