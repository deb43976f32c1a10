import type { Duplex } from 'node:stream'
import type { Logger } from '../logger.js'
import { lockDataDirectory, type LockedDirectory } from './data-directory.js'
import type { PGliteHandle } from './pglite-handle.js'
import { parseEmbeddedUrl } from './url.js'
import { WireServer, type WireServerStats } from './wire-server.js'
import { EmbeddedEngineError } from './errors.js'
import { DEFAULT_IDLE_IN_TRANSACTION_WAIT_MS } from '../defaults.js'

export { EmbeddedEngineError, type EmbeddedErrorCode } from './errors.js'
export { isEmbeddedUrl, parseEmbeddedUrl, type EmbeddedTarget } from './url.js'
export { WAIT_FAILURE_SQLSTATE, WAIT_FAILURE_CODE } from './session-arbiter.js'
export type { WireServerStats } from './wire-server.js'

/** Host name of {@link EmbeddedServer.connectionString} when the engine does not listen on TCP. */
export const IN_PROCESS_HOST = 'pglite.in-process'

/** An in-process PostgreSQL (PGlite) spoken to over the wire protocol: in-process streams, and TCP on loopback when asked for. */
export interface EmbeddedServer {
  /**
   * With `listen`: `postgres://postgres@127.0.0.1:<port>/postgres`, for any client (psql, a test's
   * URL). Without: `postgres://postgres@pglite.in-process/postgres`, which names the engine in
   * logs and reaches it only together with {@link stream} (no such host exists).
   */
  readonly connectionString: string
  /** The TCP port when listening, else `undefined`. */
  readonly port: number | undefined
  /** A new in-process connection, for pg's `stream` option (Sequelize: `dialectOptions.stream`). */
  readonly stream: () => Duplex
  /** The data directory (absolute), or `undefined` for `pglite://memory`. */
  readonly dataDir: string | undefined
  /** How long the start took, in ms (PGlite boot, initdb or its snapshot, socket). */
  readonly startupMs: number
  /** The PGlite instance, for tests and tools; normal code goes through `connectionString`. */
  readonly pglite: PGliteHandle
  /** Open client connections and how many wait for the one session. */
  stats: () => WireServerStats
  /** Stops the socket server and PGlite. Safe to call twice. */
  close: () => Promise<void>
}

/** Tuning of {@link startEmbedded}; the defaults suit apps and tests. */
export interface StartEmbeddedOptions {
  /**
   * How long a statement may wait while another connection keeps a transaction open and idle,
   * before it fails (SQLSTATE 55P03, message starting ERR_COACH_DB_EMBEDDED_SESSION_BUSY) instead of waiting forever. Default 5000 ms.
   */
  idleInTransactionWaitMs?: number
  /** Folder of the saved initdb snapshot that makes new clusters start fast; `false` disables it. Default: the OS temp folder. */
  snapshotDir?: string | false
  /** Base of relative `pglite://<directory>` paths. Default `process.cwd()`. */
  cwd?: string
  /**
   * Also accept TCP connections on loopback (the engine has no authentication): `true` picks a
   * free port, a number asks for that one. Off by default; in-process connections ({@link
   * EmbeddedServer.stream}) always work.
   */
  listen?: boolean | number
  /**
   * The app's `statementTimeoutMs`: anything above 0 is refused, because PGlite accepts
   * `SET statement_timeout` but never enforces it (its WebAssembly build has no timer to
   * interrupt a statement), and a bound that silently does not exist is worse than none.
   */
  statementTimeoutMs?: number
}

/** Default of {@link StartEmbeddedOptions.idleInTransactionWaitMs}. */
export { DEFAULT_IDLE_IN_TRANSACTION_WAIT_MS }

/**
 * Starts the embedded engine for a `pglite://` URL: PGlite with pgvector, in memory or in a
 * directory (created if missing, locked against a second process), reached through in-process
 * streams ({@link EmbeddedServer.stream}) and, with `listen`, on loopback TCP. Throws an {@link EmbeddedEngineError} when the URL or the directory can't be used.
 */
export async function startEmbedded (url: string, log: Logger, options: StartEmbeddedOptions = {}): Promise<EmbeddedServer> {
  const started = performance.now()
  const target = parseEmbeddedUrl(url, options.cwd)
  refuseUnenforceable(options)
  const directory = target.kind === 'directory' ? await lockDataDirectory(target.path) : undefined
  let db: PGliteHandle | undefined
  try {
    const { openPGlite } = await loadPGlite()
    db = await openPGlite({ dataDir: directory?.path, existing: directory?.existing ?? false, snapshotDir: options.snapshotDir })
    const wire = WireServer.create(db, {
      idleInTransactionWaitMs: options.idleInTransactionWaitMs ?? DEFAULT_IDLE_IN_TRANSACTION_WAIT_MS,
      log
    })
    const port = options.listen === undefined || options.listen === false ? undefined : await wire.listen('127.0.0.1', options.listen === true ? 0 : options.listen)
    const startupMs = Math.round(performance.now() - started)
    const where = directory === undefined ? 'in memory' : `in ${directory.path}${directory.existing ? '' : ' (new)'}`
    const reach = port === undefined ? 'in-process connections only' : `also on 127.0.0.1:${port}`
    log.info({ engine: 'pglite', dataDir: directory?.path, port, startupMs }, `fastify-coach-db: embedded PGlite ${where} (${reach}), started in ${startupMs} ms`)
    return {
      connectionString: `postgres://postgres@${port === undefined ? IN_PROCESS_HOST : `127.0.0.1:${port}`}/postgres`,
      port,
      stream: () => wire.connect(),
      dataDir: directory?.path,
      startupMs,
      pglite: db,
      stats: () => wire.stats(),
      close: once(async () => { await shutDown(wire, db as PGliteHandle, directory, log) })
    }
  } catch (err) {
    await db?.close().catch(() => {})
    await directory?.release()
    throw err
  }
}

// The packages a pglite:// URL needs; optional peers of fastify-coach-db.
const PGLITE_PACKAGES = ['@electric-sql/pglite@0.5.14', '@electric-sql/pglite-pgvector@0.0.15'] as const

// PGlite (27 MB, ~75 ms of import) is loaded here, on the first pglite:// start, and never by an
// app that only talks to PostgreSQL.
async function loadPGlite (): Promise<typeof import('./open-pglite.js')> {
  try {
    return await import('./open-pglite.js')
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /@electric-sql\/pglite/.test((err as Error).message)
    if (!missing) throw err
    throw new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_MISSING', `pglite:// URLs run the embedded PGlite engine, which is not installed (it is an optional peer dependency of fastify-coach-db). Install it with: npm install ${PGLITE_PACKAGES.join(' ')} — or use a postgres:// URL.`, { cause: err })
  }
}

function refuseUnenforceable (options: StartEmbeddedOptions): void {
  if (options.statementTimeoutMs === undefined || options.statementTimeoutMs <= 0) return
  throw new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_OPTION', `statementTimeoutMs (${options.statementTimeoutMs}) is not enforced by the embedded PGlite engine: PGlite accepts statement_timeout but cannot interrupt a running statement. Leave statementTimeoutMs unset (or 0) for pglite:// URLs; it applies to PostgreSQL.`)
}

// Socket server first (no new statements), then PGlite (flushes a directory to disk), then the lock.
async function shutDown (wire: WireServer, db: PGliteHandle, directory: LockedDirectory | undefined, log: Logger): Promise<void> {
  try {
    await wire.close()
    await db.close()
  } finally {
    await directory?.release()
  }
  log.debug('fastify-coach-db: embedded PGlite stopped')
}

function once (fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined
  return async () => {
    running ??= fn()
    await running
  }
}
