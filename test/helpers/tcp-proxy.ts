import net from 'node:net'

/** A free loopback port: bound, read and released (for a server that starts later). */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

/** A running {@link startProxy}. */
export interface TcpProxy {
  /**
   * The host goes silent, as in a failover or a partition: connections stay open, nothing
   * reaches either side any more, and new connections are accepted but never answered.
   * Connections caught silent stay silent for good, as on a real network.
   */
  silence: () => void
  /** The host is back: new connections are forwarded again. */
  restore: () => void
  close: () => Promise<void>
}

/**
 * A loopback TCP proxy to `target`: stands in for a database that comes up late or goes silent.
 * With `silenceOn`, the host goes silent by itself when a client sends bytes that match it
 * (read as latin1), before they reach the server: silent from a chosen statement on.
 */
export async function startProxy (port: number, target: { host: string, port: number }, options: { silenceOn?: RegExp } = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>()
  const pairs = new Set<{ client: net.Socket, upstream?: net.Socket }>()
  let silent = false
  const track = (s: net.Socket): void => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  }
  const server = net.createServer(client => {
    track(client)
    if (silent) {
      // Accepted by the kernel, never answered: what a host that vanished looks like.
      client.on('error', () => {})
      client.resume()
      return
    }
    const upstream = net.connect(target.port, target.host)
    track(upstream)
    const pair = { client, upstream }
    pairs.add(pair)
    for (const s of [client, upstream]) {
      s.on('close', () => pairs.delete(pair))
      s.on('error', () => { client.destroy(); upstream.destroy() })
    }
    if (options.silenceOn === undefined) client.pipe(upstream)
    else {
      const trigger = options.silenceOn
      client.on('data', (chunk: Buffer) => {
        if (!silent && trigger.test(chunk.toString('latin1'))) proxy.silence()
        if (!silent) upstream.write(chunk)
      })
    }
    upstream.pipe(client)
  })
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  const proxy: TcpProxy = {
    silence: () => {
      silent = true
      for (const { client, upstream } of pairs) {
        client.unpipe()
        upstream?.unpipe()
        // Keep reading so nothing pushes back; drop what arrives.
        client.removeAllListeners('data')
        upstream?.removeAllListeners('data')
        client.on('data', () => {})
        upstream?.on('data', () => {})
        client.on('error', () => {})
        upstream?.on('error', () => {})
      }
      pairs.clear()
    },
    restore: () => { silent = false },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
  return proxy
}

/** A running {@link startGate}. */
export interface TcpGate {
  port: number
  /** Connections accepted so far. */
  readonly accepted: number
  /** Connections passed on to the target so far. */
  readonly forwarded: number
  /** Lets every held connection and every later one through. */
  open: () => void
  close: () => Promise<void>
}

/**
 * A loopback TCP proxy to `target` that forwards the first `free` connections at once and holds
 * each later one (accepted, not forwarded) until `open()`, or, with `drop`, closes the next one
 * at once and forwards the rest: what the plugin opens, and when, seen from outside.
 */
export async function startGate (target: { host: string, port: number }, options: { free: number, drop?: boolean, closeDelayMs?: number }): Promise<TcpGate> {
  const sockets = new Set<net.Socket>()
  const held: Array<() => void> = []
  let accepted = 0
  let forwarded = 0
  let opened = false
  const forward = (client: net.Socket): void => {
    forwarded++
    const upstream = net.connect(target.port, target.host)
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    for (const s of [client, upstream]) s.on('error', () => { client.destroy(); upstream.destroy() })
    client.pipe(upstream)
    // closeDelayMs: the server's last bytes arrive at once, its closing of the socket later.
    upstream.pipe(client, { end: options.closeDelayMs === undefined })
    if (options.closeDelayMs !== undefined) upstream.on('end', () => { setTimeout(() => { client.end() }, options.closeDelayMs) })
  }
  const server = net.createServer(client => {
    const n = ++accepted
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => {})
    if (n <= options.free || opened) return forward(client)
    if (options.drop === true) {
      if (n === options.free + 1) client.destroy()
      else forward(client)
      return
    }
    client.pause()
    held.push(() => { forward(client) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted () { return accepted },
    get forwarded () { return forwarded },
    open: () => {
      opened = true
      for (const release of held.splice(0)) release()
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}
