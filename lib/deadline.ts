// Deadlines that lose to I/O that arrived in time. When the event loop was blocked (a long GC, a
// CPU-bound handler, PGlite starting in the same process), a timer and the socket data that beat
// it come due in the same turn, and Node runs timers before I/O: a bare setTimeout would fail a
// query, a health check or a probe whose answer was already there. These decide after that
// turn's I/O (setImmediate runs after the poll phase).

/** A running {@link deadline}. */
export interface Deadline {
  /** Stops it; `onExpiry` is not called after this, even if its timer has fired. */
  cancel: () => void
}

/** Calls `onExpiry` once `ms` have passed and the I/O that arrived by then has been handled. */
export function deadline (ms: number, onExpiry: () => void, options: { unref?: boolean } = {}): Deadline {
  let cancelled = false
  let immediate: NodeJS.Immediate | undefined
  const timer = setTimeout(() => {
    immediate = setImmediate(() => { if (!cancelled) onExpiry() })
    if (options.unref === true) immediate.unref()
  }, ms)
  if (options.unref === true) timer.unref()
  return {
    cancel: () => {
      cancelled = true
      clearTimeout(timer)
      if (immediate !== undefined) clearImmediate(immediate)
    }
  }
}
