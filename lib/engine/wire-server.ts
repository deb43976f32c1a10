import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { PGliteHandle } from './pglite-handle.js'
import type { Logger } from '../connection/logger.js'
import { SessionArbiter, type ArbiterClient } from './session-arbiter.js'
import { CANCEL_REQUEST, FrontendReader, GSSENC_REQUEST, MSG, SSL_REQUEST, untypedCode, type FrontendMessage } from './protocol.js'

/** Options of {@link WireServer.start}. */
export interface WireServerOptions {
  /** Loopback by default: the engine has no authentication. */
  host: string
  /** 0 picks a free port. */
  port: number
  idleInTransactionWaitMs: number
  log: Logger
}

/** Counters for health checks and tests. */
export interface WireServerStats {
  /** Client connections open now. */
  connections: number
  /** Connections waiting for the single PGlite session. */
  waiting: number
}

/**
 * A PostgreSQL wire-protocol endpoint for one PGlite instance, accepting any number of client
 * connections and sharing the one session between them through a {@link SessionArbiter}.
 * (We don't use PGlite's own pglite-socket server: it takes one connection by default, and
 * with more it hangs for good when a client awaits another connection's query inside a
 * transaction, which our own migrator does to check its lock.)
 */
export class WireServer {
  private readonly sockets = new Set<Socket>()
  private nextId = 1

  private constructor (
    private readonly server: Server,
    private readonly arbiter: SessionArbiter,
    /** The port it listens on. */
    readonly port: number,
    readonly host: string
  ) {}

  /** Listens on `host:port` and serves `db` there. */
  static async start (db: PGliteHandle, options: WireServerOptions): Promise<WireServer> {
    const arbiter = new SessionArbiter(db, { idleInTransactionWaitMs: options.idleInTransactionWaitMs, log: options.log })
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const { port } = server.address() as AddressInfo
    const wire = new WireServer(server, arbiter, port, options.host)
    server.on('connection', socket => { wire.accept(socket) })
    return wire
  }

  stats (): WireServerStats {
    return { connections: this.sockets.size, waiting: this.arbiter.waiting }
  }

  /** Stops listening, closes every client connection and waits for PGlite to be idle. */
  async close (): Promise<void> {
    const closed = new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
    for (const socket of this.sockets) socket.destroy()
    await closed
    await this.arbiter.drain()
  }

  private accept (socket: Socket): void {
    this.sockets.add(socket)
    socket.setNoDelay(true)
    const client = clientFor(this.nextId++, socket)
    const reader = new FrontendReader()
    socket.on('data', chunk => {
      let messages: FrontendMessage[]
      try {
        messages = reader.push(chunk)
      } catch {
        socket.destroy() // not PostgreSQL protocol
        return
      }
      for (const message of messages) this.handle(client, socket, message)
    })
    socket.on('error', () => {}) // a client vanishing mid-write; 'close' follows
    socket.on('close', () => {
      this.sockets.delete(socket)
      this.arbiter.disconnect(client)
    })
  }

  private handle (client: ArbiterClient, socket: Socket, message: FrontendMessage): void {
    if (message.type === 0) {
      const code = untypedCode(message)
      // No TLS on loopback: 'N' tells the client to go on in plain text, as PostgreSQL does.
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        socket.write('N')
        return
      }
      // PGlite can't interrupt a running statement; a cancel request just closes its connection.
      if (code === CANCEL_REQUEST) {
        socket.end()
        return
      }
    }
    // Terminate is not passed on: it would end PGlite's one session for everyone.
    if (message.type === MSG.terminate) {
      socket.end()
      return
    }
    this.arbiter.receive(client, message)
  }
}

function clientFor (id: number, socket: Socket): ArbiterClient {
  return {
    id,
    inbox: [],
    status: 'I',
    inUnit: false,
    discarding: false,
    closed: false,
    // PGlite hands out views of its own memory: copy before queueing them on the socket.
    write: (bytes) => { if (socket.writable) socket.write(Buffer.from(bytes)) },
    end: () => { socket.end() }
  }
}
