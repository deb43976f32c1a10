/**
 * The few pieces of the PostgreSQL v3 wire protocol the socket layer needs: splitting what a
 * client sends into messages, spotting where PGlite's answers end (ReadyForQuery and its
 * transaction status), and writing the handful of answers the layer gives itself.
 */

/** Protocol codes a client may send as its first, untyped message. */
export const PROTOCOL_V3 = 196608
export const SSL_REQUEST = 80877103
export const GSSENC_REQUEST = 80877104
export const CANCEL_REQUEST = 80877102

/** Transaction status from ReadyForQuery: idle, in a transaction block, in a failed one. */
export type TransactionStatus = 'I' | 'T' | 'E'

// A message this long is a broken or hostile client, not a query.
const MAX_MESSAGE = 256 * 1024 * 1024

/** One complete message from a client: `type` is 0 for the untyped start-up family. */
export interface FrontendMessage {
  type: number
  bytes: Buffer
}

/** Splits a client's byte stream into messages; it starts in the untyped start-up phase. */
export class FrontendReader {
  private buffer: Buffer = Buffer.alloc(0)
  private started = false

  /** Adds bytes and returns the complete messages they finish. Throws on a malformed stream. */
  push (chunk: Buffer): FrontendMessage[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    const messages: FrontendMessage[] = []
    for (;;) {
      const message = this.started ? this.typed() : this.untyped()
      if (message === undefined) return messages
      messages.push(message)
    }
  }

  private untyped (): FrontendMessage | undefined {
    if (this.buffer.length < 8) return undefined
    const length = this.buffer.readInt32BE(0)
    if (length < 8 || length > 10_000) throw new Error(`bad start-up packet length ${length}`)
    if (this.buffer.length < length) return undefined
    const bytes = this.take(length)
    const code = bytes.readInt32BE(4)
    // SSL and GSS requests come before the real start-up message; the start-up switches framing.
    if (code !== SSL_REQUEST && code !== GSSENC_REQUEST && code !== CANCEL_REQUEST) this.started = true
    return { type: 0, bytes }
  }

  private typed (): FrontendMessage | undefined {
    if (this.buffer.length < 5) return undefined
    const length = this.buffer.readInt32BE(1)
    if (length < 4 || length > MAX_MESSAGE) throw new Error(`bad message length ${length}`)
    if (this.buffer.length < length + 1) return undefined
    const type = this.buffer[0] as number
    return { type, bytes: this.take(length + 1) }
  }

  private take (n: number): Buffer {
    const bytes = this.buffer.subarray(0, n)
    this.buffer = this.buffer.subarray(n)
    return bytes
  }
}

/** The code of an untyped message (start-up, SSL request, cancel request). */
export function untypedCode (message: FrontendMessage): number {
  return message.bytes.readInt32BE(4)
}

/** Message type bytes used by the layer. */
export const MSG = {
  query: 0x51, // 'Q'
  sync: 0x53, // 'S'
  terminate: 0x58, // 'X'
  readyForQuery: 0x5a // 'Z'
} as const

/**
 * Follows PGlite's answer stream message by message (answers may arrive in several chunks) and
 * remembers the status of a ReadyForQuery if it is the last message seen: that is how the layer
 * knows a client's statement is over and whether it left a transaction open.
 */
export class BackendTracker {
  private header = Buffer.alloc(5)
  private headerLength = 0
  private type = 0
  private remaining = 0
  /** ReadyForQuery status when it was the last complete message, else `undefined`. */
  ready: TransactionStatus | undefined

  feed (chunk: Uint8Array): void {
    let i = 0
    while (i < chunk.length) {
      if (this.remaining === 0) {
        this.header[this.headerLength++] = chunk[i++] as number
        if (this.headerLength < 5) continue
        this.type = this.header[0] as number
        this.remaining = this.header.readInt32BE(1) - 4
        this.headerLength = 0
        this.ready = undefined
        continue
      }
      const take = Math.min(this.remaining, chunk.length - i)
      i += take
      this.remaining -= take
      if (this.remaining === 0 && this.type === MSG.readyForQuery) {
        this.ready = String.fromCharCode(chunk[i - 1] as number) as TransactionStatus
      }
    }
  }
}

/** `ReadyForQuery` with a status. */
export function readyForQuery (status: TransactionStatus): Buffer {
  return Buffer.from([MSG.readyForQuery, 0, 0, 0, 5, status.charCodeAt(0)])
}

/** A `Sync` message, as a client would send it. */
export function syncMessage (): Buffer {
  return Buffer.from([MSG.sync, 0, 0, 0, 4])
}

/** A simple `Query` message. */
export function queryMessage (sql: string): Buffer {
  return typed(MSG.query, cstring(sql))
}

/** `ErrorResponse` with severity, SQLSTATE and message. */
export function errorResponse (severity: 'ERROR' | 'FATAL', sqlState: string, message: string): Buffer {
  const fields = Buffer.concat([
    field('S', severity), field('V', severity), field('C', sqlState), field('M', message), Buffer.from([0])
  ])
  return typed(0x45, fields) // 'E'
}

function typed (type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head[0] = type
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

function field (code: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(code), cstring(value)])
}

function cstring (value: string): Buffer {
  return Buffer.concat([Buffer.from(value, 'utf8'), Buffer.from([0])])
}
