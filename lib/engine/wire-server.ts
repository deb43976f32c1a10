import { createServer, type AddressInfo, type Server } from 'node:net'
import type { Duplex } from 'node:stream'
import type { PGliteHandle } from './pglite-handle.js'
import type { Logger } from '../logger.js'
import { SessionArbiter, type ArbiterClient } from './session-arbiter.js'
import { inProcessPair, type InProcessSocket } from './in-process-socket.js'
import { CANCEL_REQUEST, FrontendReader, GSSENC_REQUEST, MSG, SSL_REQUEST, untypedCode, type FrontendMessage } from './protocol.js'

/** Options of {@link WireServer.create}. */
export interface WireServerOptions {
  idleInTransactionWaitMs: number
  log: Logger
}

/** Counters for health checks and tests. */
export interface WireServerStats {
  /** Client connections open now (in-process and TCP). */
  connections: number
  /** Connections waiting for the single PGlite session. */
  waiting: number
}

/**
 * A PostgreSQL wire-protocol endpoint for one PGlite instance, accepting any number of client
 * connections and sharing the one session between them through a {@link SessionArbiter}.
 * Connections are in-process streams ({@link WireServer.connect}, for pg's `stream` option) and,
 * only when asked for (psql, a test's URL), TCP on loopback ({@link WireServer.listen}).
 * (We don't use PGlite's own pglite-socket server: it takes one connection by default, and
 * with more it hangs for good when a client awaits another connection's query inside a
 * transaction.)
 */
export class WireServer {
  private readonly streams = new Set<Duplex>()
  private server: Server | undefined
  private nextId = 1

  private constructor (private readonly arbiter: SessionArbiter) {}

  /** Serves `db`; nothing listens until {@link listen} is called. */
  static create (db: PGliteHandle, options: WireServerOptions): WireServer {
    return new WireServer(new SessionArbiter(db, { idleInTransactionWaitMs: options.idleInTransactionWaitMs, log: options.log }))
  }

  /** A new in-process connection: give it to pg as its `stream`. */
  connect (): InProcessSocket {
    const { client, engine } = inProcessPair()
    this.accept(engine)
    return client
  }

  /** Listens on `host:port` (0 picks a free port) and resolves to the port. The engine has no authentication: keep it on loopback. */
  async listen (host: string, port: number): Promise<number> {
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    server.on('connection', socket => {
      socket.setNoDelay(true)
      this.accept(socket)
    })
    this.server = server
    return (server.address() as AddressInfo).port
  }

  stats (): WireServerStats {
    return { connections: this.streams.size, waiting: this.arbiter.waiting }
  }

  /** Stops listening, closes every client connection and waits for PGlite to be idle. */
  async close (): Promise<void> {
    const server = this.server
    const closed = server === undefined ? undefined : new Promise<void>(resolve => { server.close(() => { resolve() }) })
    for (const stream of this.streams) stream.destroy()
    await closed
    await this.arbiter.drain()
  }

  private accept (stream: Duplex): void {
    this.streams.add(stream)
    const client = clientFor(this.nextId++, stream)
    const reader = new FrontendReader()
    stream.on('data', (chunk: Buffer) => {
      let messages: FrontendMessage[]
      try {
        messages = reader.push(chunk)
      } catch {
        stream.destroy() // not PostgreSQL protocol
        return
      }
      for (const message of messages) this.handle(client, stream, message)
    })
    stream.on('error', () => {}) // a client vanishing mid-write; 'close' follows
    stream.on('close', () => {
      this.streams.delete(stream)
      this.arbiter.disconnect(client)
    })
  }

  private handle (client: ArbiterClient, stream: Duplex, message: FrontendMessage): void {
    if (message.type === 0) {
      const code = untypedCode(message)
      // No TLS: 'N' tells the client to go on in plain text, as PostgreSQL does.
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        stream.write('N')
        return
      }
      // PGlite can't interrupt a running statement; a cancel request just closes its connection.
      if (code === CANCEL_REQUEST) {
        stream.end()
        return
      }
    }
    // Terminate is not passed on: it would end PGlite's one session for everyone.
    if (message.type === MSG.terminate) {
      stream.end()
      return
    }
    this.arbiter.receive(client, message)
  }
}

function clientFor (id: number, stream: Duplex): ArbiterClient {
  return {
    id,
    inbox: [],
    status: 'I',
    inUnit: false,
    discarding: false,
    closed: false,
    // PGlite hands out views of its own memory: copy before queueing them on the stream.
    write: (bytes) => { if (stream.writable) stream.write(Buffer.from(bytes)) },
    end: () => { stream.end() }
  }
}
