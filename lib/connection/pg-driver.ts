import { EventEmitter } from 'node:events'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import pg from 'pg'
import { QueryTimeoutError } from '../errors.js'
import { DEFAULT_KEEPALIVE_DELAY_MS } from '../defaults.js'
import { deadline } from '../deadline.js'
import type { CredentialProvider } from '../credentials/provider.js'
import type { Logger } from '../logger.js'

/** How long a read connection opened on another node (its replica was down) is kept, in ms. */
const FALLBACK_RETIRE_MS = 5_000
/** How long `end()` waits for the server's goodbye before dropping the socket, in ms. */
const END_GRACE_MS = 1_000

/** How every connection of one database is opened and bounded. */
export interface PgDriverSettings {
  /** Login per new connection; 28P01 asks it to recover once. */
  credentials: CredentialProvider
  /**
   * Client-side bound of one query, in ms (0: none). When it runs out the connection is
   * dropped (a silent host never answers the cancel either) and the query fails with
   * {@link QueryTimeoutError}.
   */
  queryTimeoutMs: number
  /**
   * Read replicas (`host:port`) and the primary, when reads are spread over replicas: a read
   * connection whose replica cannot be reached opens on the next replica, then the primary; a
   * SELECT on a read connection that fails because the connection died is re-run once on a fresh
   * one. Read connections never carry a transaction (Sequelize runs those on the primary).
   */
  readReplicas?: { hosts: ReadonlyArray<{ host: string, port: number }>, primary: { host: string, port: number } }
  /** Delay of the first TCP keepalive probe, in ms. */
  keepAliveDelayMs?: number
  /**
   * Told once a connection's socket has reached the server and pg has sent its start-up message
   * (or at once for a stream given in the config): from then on the server is busy setting up the
   * session, so the caller may spend CPU without delaying the connection.
   */
  onServerReached?: () => void
  log: Logger
}

type Callback = (err: Error | null, result?: unknown) => void

/**
 * A pg-compatible module for Sequelize's public `dialectModule` option: the one place that
 * decides how a connection is opened. Each `Client` is a thin shell over a real `pg.Client`
 * created at `connect()`, so a refused password (28P01) can be retried on a fresh client after
 * the credentials recovered, and the socket is ours to drop when a query outlives its bound. A
 * session opened outside the pool can be handed to it ({@link handToPool}): the next `connect()`
 * to the same node with the same session settings takes it instead of logging in again.
 */
// Connection-level failures: the node is gone or going (refused, reset, shut down, terminated).
const NODE_GONE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '08006', '08001', '08003'])

/** Whether `err` says the connection or its node died, not that the query was wrong. */
export function isNodeGone (err: unknown): boolean {
  const code = (err as { code?: string })?.code
  if (code !== undefined && NODE_GONE_CODES.has(code)) return true
  return /Connection terminated|terminating connection|the database system is (shutting down|starting up)|not queryable|socket hang up/i.test(String((err as Error)?.message ?? ''))
}

export function createPgDriver (settings: PgDriverSettings): typeof pg {
  const { credentials, log } = settings
  const replicas = settings.readReplicas
  const isReadHost = (config: pg.ClientConfig): boolean => replicas !== undefined && replicas.hosts.some(r => r.host === config.host && r.port === Number(config.port))
  const keepAliveDelayMs = settings.keepAliveDelayMs ?? DEFAULT_KEEPALIVE_DELAY_MS
  // A session opened outside the pool (start-up's check) and handed to it: the pool's next new
  // connection to the same node is this session instead of another login (see handToPool).
  let parked: Parked | undefined
  // The socket of the pool connection that took the parked session, while its owner may still
  // drop it (dropHandedOver): Sequelize sets a connection up before the pool holds it.
  let taken: Duplex | undefined

  class CoachPgClient extends EventEmitter {
    /** Read by Sequelize's pool to evict this connection. */
    _invalid = false
    _ending = false
    _ended = false
    /**
     * Sequelize listens here for `parameterStatus` before connecting. Nothing is emitted: the
     * server version is configured, and without `standard_conforming_strings` Sequelize adds
     * `SET standard_conforming_strings=on` to the set-up statement it sends anyway.
     */
    readonly connection = new EventEmitter()
    #config: pg.ClientConfig
    #inner: pg.Client | undefined
    #socket: Duplex | undefined
    #ending: Promise<void> | undefined
    #detach: (() => void) | undefined
    /**
     * The type parsers Sequelize gave this connection, sent with each query when the session was
     * handed over (opened without them); pg reads `types` per query (its public QueryConfig).
     */
    #types: pg.ClientConfig['types'] | undefined

    constructor (config: pg.ClientConfig = {}) {
      super()
      this.#config = config
    }

    /** The user this connection logged in as, as pg.Client exposes it. */
    get user (): string | undefined {
      return this.#inner?.user
    }

    /** The password this connection logged in with, as pg.Client exposes it (not enumerable). */
    get password (): string | undefined {
      return (this.#inner as unknown as { password?: string } | undefined)?.password
    }

    /** Backend pid, as pg.Client exposes it. */
    get processID (): number | undefined {
      return (this.#inner as unknown as { processID?: number } | undefined)?.processID
    }

    connect (callback?: Callback): Promise<void> | undefined {
      const done = this.#connect()
      if (callback === undefined) return done
      done.then(() => { callback(null) }, (err: Error) => { callback(err) })
      return undefined
    }

    /** The read replica this connection is for, when it is one: reads may move to another node. */
    get #isRead (): boolean {
      return isReadHost(this.#config)
    }

    async #connect (): Promise<void> {
      if (!this.#isRead || replicas === undefined) return await this.#connectTo(this.#config)
      // The replica asked for first, then the other replicas, then the primary.
      const asked = { host: String(this.#config.host), port: Number(this.#config.port) }
      const order = [asked, ...replicas.hosts.filter(r => r.host !== asked.host || r.port !== asked.port), replicas.primary]
      let lastErr: unknown
      for (const node of order) {
        try {
          await this.#connectTo(withHost(this.#config, node))
          // A connection opened elsewhere is retired after a while, so reads return to the replica.
          if (node !== asked) setTimeout(() => { this._invalid = true }, FALLBACK_RETIRE_MS).unref()
          if (node !== asked) log.warn({ replica: `${asked.host}:${asked.port}`, using: `${node.host}:${node.port}` }, `fastify-coach-db: read replica ${asked.host}:${asked.port} unreachable; reading from ${node.host}:${node.port}`)
          return
        } catch (err) {
          lastErr = err
          if (!isNodeGone(err)) throw err
        }
      }
      throw lastErr
    }

    async #connectTo (config: pg.ClientConfig): Promise<void> {
      const handed = parked
      if (handed !== undefined && !this.#isRead && sameNode(handed.config, config)) {
        parked = undefined
        if (!handed.dead) {
          handed.stopWatching()
          this.#attach(handed.inner, handed.socket)
          this.#types = config.types
          taken = handed.socket
          return
        }
        dropParked(handed)
      }
      let login = await credentials.current()
      try {
        await this.#open(config, login.username, login.password)
      } catch (err) {
        // A fixed password cannot recover: the refusal is the answer.
        if ((err as { code?: string }).code !== '28P01' || credentials.description === 'static') throw err
        log.warn({ code: '28P01', user: login.username }, `fastify-coach-db: PostgreSQL refused the password for a new connection; fetching the ${credentials.description} again and retrying once`)
        const recovered = await credentials.recover(login.password).catch((fetchErr: unknown) => {
          // The refused password is the failure to report; the refetch problem goes to the log.
          log.warn({ code: (fetchErr as { code?: string }).code }, `fastify-coach-db: could not fetch the credentials again: ${(fetchErr as Error).message}`)
          return false
        })
        if (!recovered) throw err
        login = await credentials.current()
        await this.#open(config, login.username, login.password)
      }
    }

    async #open (config: pg.ClientConfig, user: string, password: string | undefined): Promise<void> {
      // A stream given in the config (the embedded engine's in-process connections) is used as
      // is; otherwise the TCP socket is ours, so a query that outlives its bound can drop it.
      const given = config.stream
      const socket: Duplex = (typeof given === 'function' ? given() : given) ?? new net.Socket()
      const inner = new pg.Client({
        ...config,
        user,
        ...(password !== undefined ? { password } : {}),
        stream: () => socket,
        // A host that vanished (failover, network partition) is noticed on idle connections.
        ...(given === undefined ? { keepAlive: true, keepAliveInitialDelayMillis: keepAliveDelayMs } : {})
      })
      const connecting = inner.connect()
      // After pg's own 'connect' listener (registered inside connect()), which sends the start-up message.
      if (settings.onServerReached !== undefined) {
        if (given === undefined) socket.once('connect', settings.onServerReached)
        else settings.onServerReached()
      }
      try {
        await connecting
      } catch (err) {
        socket.destroy()
        throw err
      }
      this.#attach(inner, socket)
    }

    #attach (inner: pg.Client, socket: Duplex): void {
      this.#inner = inner
      this.#socket = socket
      const onError = (err: Error): void => {
        this._invalid = true
        // An EventEmitter throws an 'error' nobody listens to; pg's own client would too.
        if (this.listenerCount('error') > 0) this.emit('error', err)
      }
      const onNotice = (msg: unknown): void => { this.emit('notice', msg) }
      const onNotification = (msg: unknown): void => { this.emit('notification', msg) }
      const onEnd = (): void => { this._ended = true; this.emit('end') }
      inner.on('error', onError)
      inner.on('notice', onNotice)
      inner.on('notification', onNotification)
      inner.on('end', onEnd)
      this.#detach = () => {
        inner.off('error', onError)
        inner.off('notice', onNotice)
        inner.off('notification', onNotification)
        inner.off('end', onEnd)
      }
    }

    /**
     * Hands this session to the pool's next new connection to the same node; this shell is spent
     * (its end() does nothing). False when the session is not fit to be handed on.
     */
    [HAND_TO_POOL] (): boolean {
      const inner = this.#inner
      const socket = this.#socket
      if (inner === undefined || socket === undefined || this._invalid || this._ended || this.#ending !== undefined) return false
      this.#detach?.()
      this.#inner = undefined
      this.#socket = undefined
      this._ended = true
      this.#ending = Promise.resolve()
      const previous = parked
      parked = watchParked(inner, socket, this.#config)
      if (previous !== undefined) dropParked(previous)
      return true
    }

    query (...given: unknown[]): unknown {
      const inner = this.#inner
      const args = this.#types !== undefined ? withTypes(given, this.#types) : given
      const last = args[args.length - 1]
      const callback = typeof last === 'function' ? last as Callback : undefined
      // Nothing to bound or re-run (Sequelize's usual call: callback given, no query timeout, a
      // primary connection): pg's own callback form, with no promise in between.
      if (callback !== undefined && inner !== undefined && settings.queryTimeoutMs <= 0 && replicas === undefined) {
        return (inner.query as (...a: unknown[]) => unknown).apply(inner, args)
      }
      const queryArgs = callback === undefined ? args : args.slice(0, -1)
      let run = inner === undefined
        ? Promise.reject(new Error('Client was not connected'))
        : this.#bounded((inner.query as (...a: unknown[]) => Promise<unknown>).apply(inner, queryArgs))
      if (this.#isRead && isSelect(queryArgs[0])) run = run.catch(async (err: unknown) => await this.#retryRead(err, queryArgs))
      if (callback === undefined) return run
      run.then(result => { callback(null, result) }, (err: Error) => { callback(err) })
      return undefined
    }

    // A read on a replica that died (stopped, failed over): open again (another node if that one
    // is still down) and run the SELECT once more. Outside a transaction a SELECT is safe to repeat.
    async #retryRead (err: unknown, queryArgs: unknown[], attempt = 1): Promise<unknown> {
      // Sequelize's pool destroys this connection on its 'error' event, so the read re-runs on a
      // connection of its own, closed afterwards. A node going down may still accept one more
      // connection and then drop it: a few attempts.
      if (!isNodeGone(err) || attempt > 3) throw err
      log.warn({ code: (err as { code?: string }).code }, `fastify-coach-db: read connection lost (${(err as Error).message}); re-running the read on a fresh connection`)
      const fresh = new CoachPgClient(this.#config)
      fresh.on('error', () => {})
      try {
        await fresh.connect()
        return await (fresh.query as (...a: unknown[]) => Promise<unknown>).apply(fresh, queryArgs)
      } catch (next) {
        return await this.#retryRead(next, queryArgs, attempt + 1)
      } finally {
        await fresh.end()
      }
    }

    async #bounded (query: Promise<unknown>): Promise<unknown> {
      const limit = settings.queryTimeoutMs
      if (limit <= 0) return await query
      let timedOut = false
      const timer = deadline(limit, () => {
        timedOut = true
        this._invalid = true
        // Cancelling needs the same silent host; dropping the socket frees the connection now.
        this.#socket?.destroy()
      })
      try {
        return await query
      } catch (err) {
        if (timedOut) throw new QueryTimeoutError(limit, err)
        throw err
      } finally {
        timer.cancel()
      }
    }

    end (callback?: (err?: Error) => void): Promise<void> | undefined {
      const done = this.#end()
      if (callback === undefined) return done
      done.then(() => { callback() }, (err: Error) => { callback(err) })
      return undefined
    }

    // One goodbye: a second end() (closing after a caller that did not wait) waits for the first.
    #end (): Promise<void> {
      this.#ending ??= this.#goodbye()
      return this.#ending
    }

    async #goodbye (): Promise<void> {
      this._ending = true
      const inner = this.#inner
      if (inner === undefined || this._ended || this.#socket === undefined) return
      await goodbye(inner, this.#socket)
    }
  }

  // What Sequelize reads of the module: Client, types (parsers), native (unused).
  const module = { Client: CoachPgClient, types: pg.types, defaults: pg.defaults, native: null } as unknown as typeof pg
  handOverEnds.set(module, {
    end: async () => {
      taken = undefined
      const left = parked
      parked = undefined
      if (left === undefined) return
      // Nobody listens on it any more: an error while saying goodbye must not go unheard.
      left.inner.on('error', () => {})
      left.stopWatching()
      await goodbye(left.inner, left.socket)
    },
    drop: () => {
      const socket = taken
      taken = undefined
      // Its client listens (Sequelize does, from before its set-up): the loss is heard there.
      socket?.destroy()
      const left = parked
      parked = undefined
      if (left !== undefined) dropParked(left)
    }
  })
  return module
}

const HAND_TO_POOL = Symbol('handToPool')
const handOverEnds = new WeakMap<object, { end: () => Promise<void>, drop: () => void }>()

interface Parked {
  inner: pg.Client
  socket: Duplex
  config: pg.ClientConfig
  /** Set when the session failed or ended while it waited. */
  dead: boolean
  stopWatching: () => void
}

// While parked nobody listens on the session: an error must not go unheard (it would throw),
// and a session that died is not handed on.
function watchParked (inner: pg.Client, socket: Duplex, config: pg.ClientConfig): Parked {
  const entry: Parked = { inner, socket, config, dead: false, stopWatching: () => {} }
  const died = (): void => { entry.dead = true }
  inner.on('error', died)
  inner.on('end', died)
  entry.stopWatching = () => {
    inner.off('error', died)
    inner.off('end', died)
  }
  return entry
}

// Destroying the socket makes pg report the lost connection as an 'error': still heard.
function dropParked (entry: Parked): void {
  entry.inner.on('error', () => {})
  entry.stopWatching()
  entry.socket.destroy()
}

// A silent host never acknowledges the goodbye: give it a moment, then drop the socket.
async function goodbye (inner: pg.Client, socket: Duplex): Promise<void> {
  const grace = setTimeout(() => { socket.destroy() }, END_GRACE_MS)
  try {
    await inner.end()
  } catch {
    // Already broken: the socket is gone either way.
  } finally {
    clearTimeout(grace)
  }
}

/**
 * Hands `connection` (a {@link DedicatedConnection} of a driver from {@link createPgDriver},
 * open and idle) to that driver's pool: the pool's next new connection to the same node takes
 * this session instead of logging in again, so start-up's check costs no extra connection.
 * False when it cannot be handed on (not ours, broken, ending): the caller still owns it.
 */
export function handToPool (connection: DedicatedConnection): boolean {
  const hand = (connection as unknown as { [HAND_TO_POOL]?: () => boolean })[HAND_TO_POOL]
  return typeof hand === 'function' ? hand.call(connection) : false
}

/**
 * Ends the session handed to `driver`'s pool by {@link handToPool} if the pool never took it, and
 * forgets the pool connection that took it: call it once that connection's set-up is over.
 */
export async function endHandedOver (driver: typeof pg): Promise<void> {
  await handOverEnds.get(driver)?.end()
}

/**
 * Drops the session handed to `driver`'s pool at once, parked or taken by a pool connection that
 * is still being set up (a host silent since would hold that set-up until TCP keepalive gives up).
 */
export function dropHandedOver (driver: typeof pg): void {
  handOverEnds.get(driver)?.drop()
}

// What a session is made of at login: a session opened with other settings is not handed on.
const SESSION_SETTINGS = ['database', 'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'options', 'application_name', 'client_encoding', 'binary'] as const

function sameNode (a: pg.ClientConfig, b: pg.ClientConfig): boolean {
  return String(a.host) === String(b.host) && Number(a.port) === Number(b.port) &&
    SESSION_SETTINGS.every(key => (a as Record<string, unknown>)[key] === (b as Record<string, unknown>)[key])
}

// pg's query(text, [values], [callback]) or query(config, [values], [callback]) with `types` added.
function withTypes (args: unknown[], types: NonNullable<pg.ClientConfig['types']>): unknown[] {
  const [first, ...rest] = args
  if (typeof first === 'string') {
    const values = Array.isArray(rest[0]) ? rest.shift() as unknown[] : undefined
    return [{ text: first, ...(values !== undefined ? { values } : {}), types }, ...rest]
  }
  if (typeof first !== 'object' || first === null || (first as { types?: unknown }).types !== undefined) return args
  if (typeof (first as { submit?: unknown }).submit === 'function') {
    // A query object (pg.Query, pg-query-stream, pg-cursor) reads `types` when it is built; pg's
    // client gives one without them its own parsers the same way (client.js, query()).
    const result = (first as { _result?: { _types?: unknown } })._result
    if (result !== undefined && result._types === undefined) result._types = types
    return args
  }
  return [{ ...first, types }, ...rest]
}

function withHost (config: pg.ClientConfig, node: { host: string, port: number }): pg.ClientConfig {
  const ssl = config.ssl
  // verify-full checks the name of the node actually reached.
  const tls = typeof ssl === 'object' && ssl !== null && 'servername' in ssl && ssl.servername !== undefined ? { ssl: { ...ssl, servername: node.host } } : {}
  return { ...config, host: node.host, port: node.port, ...tls }
}

function isSelect (query: unknown): boolean {
  const text = typeof query === 'string' ? query : (query as { text?: string } | undefined)?.text
  return typeof text === 'string' && /^\s*(SELECT|WITH|SHOW)\b/i.test(text) && !/\b(INSERT|UPDATE|DELETE|FOR\s+UPDATE|FOR\s+SHARE|nextval|pg_advisory)\b/i.test(text)
}

/** A connection outside the pool (the migration lock's), opened the same way as pool connections. */
export interface DedicatedConnection {
  query: (sql: string, values?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>
  end: () => Promise<void>
}

/** Opens one {@link DedicatedConnection}. */
export type ConnectionOpener = () => Promise<DedicatedConnection>

const openers = new WeakMap<object, ConnectionOpener>()

/** Remembers how connections of `owner` (a Sequelize) open, for code that needs one of its own. */
export function registerConnectionOpener (owner: object, opener: ConnectionOpener): void {
  openers.set(owner, opener)
}

/** The opener registered for `owner`, if it was built by createSequelize. */
export function connectionOpenerOf (owner: object): ConnectionOpener | undefined {
  return openers.get(owner)
}

/** One opener per read replica, for checks that must reach that node and no other (health). */
export interface NodeOpener { node: string, open: ConnectionOpener }
const nodeOpeners = new WeakMap<object, NodeOpener[]>()

/** Remembers how to reach each read replica of `owner` directly. */
export function registerReplicaOpeners (owner: object, list: NodeOpener[]): void {
  nodeOpeners.set(owner, list)
}

/** The read replicas of `owner` and how to reach each directly; empty without replicas. */
export function replicaOpenersOf (owner: object): NodeOpener[] {
  return nodeOpeners.get(owner) ?? []
}

/** An opener over `driver` with pg client settings `config`. */
export function driverOpener (driver: typeof pg, config: pg.ClientConfig): ConnectionOpener {
  return async () => {
    const client = new driver.Client(config)
    // A session that ends while idle (terminated, failover) is reported as an 'error' event; unheard
    // it would be an uncaught exception. The owner learns of it from its next query (the lock's
    // holder through assertHeld), so hearing it is enough.
    client.on('error', () => {})
    try {
      await client.connect()
    } catch (err) {
      await client.end().catch(() => {})
      throw err
    }
    return client as unknown as DedicatedConnection
  }
}
