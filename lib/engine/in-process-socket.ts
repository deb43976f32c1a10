import { Duplex } from 'node:stream'

/**
 * The client end of an in-process connection: what pg's `stream` option takes instead of a TCP
 * socket. pg calls `connect`, `setNoDelay` and (with keepAlive) `setKeepAlive` on it as on a
 * `net.Socket`; none of them mean anything without a network.
 */
export class InProcessSocket extends Duplex {
  /** The engine's end: what the client writes is read there, and the other way round. */
  peer!: Duplex

  constructor () {
    // Like a TCP socket: when one side ends, so does the other.
    super({ allowHalfOpen: false })
  }

  connect (): this {
    process.nextTick(() => { this.emit('connect') })
    return this
  }

  setNoDelay (): this { return this }
  setKeepAlive (): this { return this }
  ref (): this { return this }
  unref (): this { return this }

  override _read (): void {}

  override _write (chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.peer.push(chunk)
    done()
  }

  override _final (done: (err?: Error | null) => void): void {
    this.peer.push(null)
    done()
  }

  override _destroy (err: Error | null, done: (err?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.destroy()
    done(err)
  }
}

/** The engine's end of an in-process connection. */
class EngineEnd extends Duplex {
  constructor (private readonly client: InProcessSocket) { super({ allowHalfOpen: false }) }

  override _read (): void {}

  override _write (chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.client.push(chunk)
    done()
  }

  override _final (done: (err?: Error | null) => void): void {
    this.client.push(null)
    done()
  }

  override _destroy (err: Error | null, done: (err?: Error | null) => void): void {
    if (!this.client.destroyed) this.client.destroy()
    done(err)
  }
}

/** A connected pair: `client` for pg, `engine` for the engine's connection handling. */
export function inProcessPair (): { client: InProcessSocket, engine: Duplex } {
  const client = new InProcessSocket()
  const engine = new EngineEnd(client)
  client.peer = engine
  return { client, engine }
}
