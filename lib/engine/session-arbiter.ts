import { deadline, type Deadline } from '../deadline.js'
import type { PGliteHandle } from './pglite-handle.js'
import type { Logger } from '../logger.js'
import {
  BackendTracker, MSG, errorResponse, queryMessage, readyForQuery, syncMessage,
  type FrontendMessage, type TransactionStatus
} from './protocol.js'

/** One client connection as the arbiter sees it. The wire server owns the socket behind it. */
export interface ArbiterClient {
  readonly id: number
  /** Messages received and not yet run, oldest first. */
  readonly inbox: FrontendMessage[]
  /** Status after its last complete statement; only the session's owner is ever not `I`. */
  status: TransactionStatus
  /** It has sent part of an extended-protocol exchange (Parse, Bind, …) but not its Sync yet. */
  inUnit: boolean
  /** The arbiter failed its exchange; later messages are dropped up to the next Sync. */
  discarding: boolean
  closed: boolean
  write: (bytes: Uint8Array) => void
  end: () => void
}

/** Options of {@link SessionArbiter}. */
export interface SessionArbiterOptions {
  /**
   * How long a connection may wait while another one keeps a transaction open and sends nothing,
   * before its statement fails with SQLSTATE 55P03 and our code. That idle wait is almost always a deadlock:
   * code inside a transaction awaiting a query that does not use the transaction.
   */
  idleInTransactionWaitMs: number
  log: Logger
}

/**
 * SQLSTATE lock_not_available: what the waiting statement fails with. Not 40P01 (deadlock
 * detected): that class means "your transaction was rolled back, retry it", and nothing was.
 * The message starts with {@link WAIT_FAILURE_CODE}.
 */
export const WAIT_FAILURE_SQLSTATE = '55P03'

/** Our code for a statement that waited too long for the one session, first in its message. */
export const WAIT_FAILURE_CODE = 'ERR_COACH_DB_EMBEDDED_SESSION_BUSY'

/**
 * PGlite is a single PostgreSQL session, but clients (a Sequelize pool, the migrator's lock
 * connection, psql) open several connections. The arbiter lends the session to one connection
 * at a time, for one complete statement (a simple Query, or Parse…Sync), and keeps lending it to
 * that connection for as long as PGlite reports an open transaction, so statements of different
 * connections never interleave inside a transaction or an extended-protocol exchange. Everyone
 * else waits in arrival order.
 *
 * Every statement reaches PGlite: the arbiter answers nothing itself, so a health check's
 * `SELECT 1` is a real round trip that waits its turn like any other statement. The one wait that
 * would otherwise hang forever, a connection waiting while the owner sits idle in its transaction
 * (code inside a transaction awaiting a query that does not use it), ends after
 * `idleInTransactionWaitMs` with our error (55P03, ERR_COACH_DB_EMBEDDED_SESSION_BUSY).
 */
export class SessionArbiter {
  private owner: ArbiterClient | undefined
  private queue: ArbiterClient[] = []
  private pumping: Promise<void> | undefined
  private waitTimer: Deadline | undefined

  constructor (private readonly db: PGliteHandle, private readonly options: SessionArbiterOptions) {}

  /** Connections waiting for the session right now. */
  get waiting (): number {
    return this.queue.filter(c => !c.closed && c.inbox.length > 0).length
  }

  /** Takes one message from a client; it runs when the session is free for that client. */
  receive (client: ArbiterClient, message: FrontendMessage): void {
    if (client.discarding) {
      this.discard(client, message)
      return
    }
    client.inbox.push(message)
    if (client === this.owner) this.clearWaitTimer()
    else if (client.inbox.length === 1) this.queue.push(client)
    this.pump()
  }

  /** A client's socket closed: its queued messages are dropped, an open transaction rolled back. */
  disconnect (client: ArbiterClient): void {
    client.closed = true
    client.inbox.length = 0
    this.queue = this.queue.filter(c => c !== client)
    this.pump()
  }

  /** Resolves once nothing is running on PGlite any more. */
  async drain (): Promise<void> {
    this.clearWaitTimer()
    while (this.pumping !== undefined) await this.pumping
  }

  private pump (): void {
    if (this.pumping !== undefined) return
    this.pumping = this.loop().finally(() => {
      this.pumping = undefined
      // A message that arrived after the loop found nothing to do, but before this callback ran,
      // was queued while `pumping` was still set: start again for it. (In-process clients answer
      // within the same tick, so this window is real.)
      if (this.hasWork()) this.pump()
      else this.armWaitTimer()
    })
  }

  private hasWork (): boolean {
    const owner = this.owner
    if (owner !== undefined) return owner.closed || owner.inbox.length > 0
    return this.queue.some(c => !c.closed && c.inbox.length > 0)
  }

  private async loop (): Promise<void> {
    for (;;) {
      if (this.owner?.closed === true) await this.releaseClosedOwner(this.owner)
      const client = this.owner ?? this.nextInQueue()
      if (client === undefined) return
      const message = client.inbox.shift()
      // The owner is between statements of its transaction: everyone waits for its next one.
      if (message === undefined) return
      this.owner = client
      await this.run(client, message)
      if (!client.closed && !client.inUnit && client.status === 'I') {
        this.owner = undefined
        if (client.inbox.length > 0) this.queue.push(client)
      }
    }
  }

  private nextInQueue (): ArbiterClient | undefined {
    for (;;) {
      const next = this.queue.shift()
      if (next === undefined || (!next.closed && next.inbox.length > 0)) return next
    }
  }

  private async run (client: ArbiterClient, message: FrontendMessage): Promise<void> {
    const tracker = new BackendTracker()
    try {
      await this.execute(message.bytes, chunk => {
        tracker.feed(chunk)
        client.write(chunk)
      })
    } catch (err) {
      // PGlite itself failed (not an SQL error, which arrives as an ErrorResponse): this
      // connection's state is unknown, so it is closed; its transaction is rolled back on release.
      this.options.log.error({ err, connection: client.id }, 'embedded PGlite failed while running a statement; closing that connection')
      client.write(errorResponse('FATAL', 'XX000', `embedded PGlite failed: ${err instanceof Error ? err.message : String(err)}`))
      client.end()
      client.closed = true
      return
    }
    if (tracker.ready === undefined) {
      client.inUnit = true
    } else {
      client.inUnit = false
      client.status = tracker.ready
    }
  }

  // Finishes what a vanished owner left half done, so the next connection starts clean.
  private async releaseClosedOwner (client: ArbiterClient): Promise<void> {
    try {
      let status = client.status
      if (client.inUnit) status = await this.silently(syncMessage()) ?? status
      if (status !== 'I') await this.silently(queryMessage('ROLLBACK'))
    } catch (err) {
      this.options.log.warn({ err, connection: client.id }, 'embedded PGlite: could not roll back the transaction of a closed connection')
    }
    if (this.owner === client) this.owner = undefined
  }

  private async silently (bytes: Uint8Array): Promise<TransactionStatus | undefined> {
    const tracker = new BackendTracker()
    await this.execute(bytes, chunk => { tracker.feed(chunk) })
    return tracker.ready
  }

  private async execute (bytes: Uint8Array, onData: (chunk: Uint8Array) => void): Promise<void> {
    await this.db.runExclusive(async () => {
      await this.db.execProtocolRawStream(bytes, { onRawData: onData })
    })
  }

  private discard (client: ArbiterClient, message: FrontendMessage): void {
    if (message.type !== MSG.sync) return
    client.discarding = false
    client.write(readyForQuery('I'))
  }

  private armWaitTimer (): void {
    const owner = this.owner
    const blocked = owner !== undefined && !owner.closed && owner.inbox.length === 0 && this.waiting > 0
    if (!blocked) {
      this.clearWaitTimer()
      return
    }
    if (this.waitTimer !== undefined) return
    this.waitTimer = deadline(this.options.idleInTransactionWaitMs, () => {
      this.waitTimer = undefined
      this.failWaiting()
    }, { unref: true })
  }

  private clearWaitTimer (): void {
    if (this.waitTimer === undefined) return
    this.waitTimer.cancel()
    this.waitTimer = undefined
  }

  private failWaiting (): void {
    if (this.pumping !== undefined || this.owner === undefined || this.owner.inbox.length > 0) return
    const ms = this.options.idleInTransactionWaitMs
    const message = `${WAIT_FAILURE_CODE}: embedded PGlite runs one session: this statement waited ${ms} ms while another connection kept a transaction open and sent nothing. ` +
      'Usually code inside a transaction awaits a query that does not use it: pass { transaction } to every query inside sequelize.transaction(). ' +
      'See docs/embedded.md.'
    this.options.log.warn({ ownerConnection: this.owner.id, waiting: this.waiting, waitedMs: ms }, 'embedded PGlite: statements waited too long for an idle transaction; failing them (' + WAIT_FAILURE_CODE + ')')
    for (const client of this.queue) {
      if (!client.closed && client.inbox.length > 0) failExchange(client, message)
    }
    this.queue = this.queue.filter(c => !c.closed && c.inbox.length > 0)
    this.armWaitTimer()
  }
}

// Answers a waiting exchange the way PostgreSQL answers a failed one: an error, then everything up
// to the exchange's end (Sync, or the simple Query itself) is skipped and the client is idle again.
function failExchange (client: ArbiterClient, message: string): void {
  const first = client.inbox[0]
  if (first?.type === 0) {
    client.write(errorResponse('FATAL', WAIT_FAILURE_SQLSTATE, message))
    client.inbox.length = 0
    client.closed = true
    client.end()
    return
  }
  client.write(errorResponse('ERROR', WAIT_FAILURE_SQLSTATE, message))
  const end = client.inbox.findIndex(m => m.type === MSG.sync || m.type === MSG.query)
  if (end === -1) {
    client.inbox.length = 0
    client.discarding = true
    return
  }
  client.inbox.splice(0, end + 1)
  client.write(readyForQuery('I'))
}
