import { setTimeout as sleep } from 'node:timers/promises'
import { CoachDbError, ConnectionError } from '../errors.js'
import type { Logger } from '../logger.js'
import { describeTarget, type ConnectionTarget } from '../credentials/target.js'
import type { ConnectRetryOptions } from '../types.js'

// Failures that mean "not up yet" (refused, starting up, too many clients, DNS not ready):
// worth another attempt. Anything else (bad password, missing database) will not fix itself.
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', '57P03', '53300', '08006', '08001'])

// pg reports its own connectionTimeoutMillis without a code.
function isConnectTimeout (err: unknown): boolean {
  return /timeout/i.test(String((err as { parent?: { message?: string } })?.parent?.message ?? (err as Error)?.message ?? ''))
}

/** SQLSTATE or Node error code of a Sequelize connection failure (also inside one of our ConnectionErrors). */
export function driverCode (err: unknown): string | undefined {
  const own = ownConnectionCause(err)
  if (own !== undefined) return driverCode(own)
  const e = err as { parent?: { code?: string }, original?: { code?: string }, code?: string }
  return e?.parent?.code ?? e?.original?.code ?? e?.code
}

// The pool reports a connection it could not open as our ConnectionError around Sequelize's.
function ownConnectionCause (err: unknown): unknown {
  return err instanceof CoachDbError && err.code === 'ERR_COACH_DB_CONNECTION' && err.cause !== undefined ? err.cause : undefined
}

/**
 * Runs `attempt` (opening one connection) with bounded exponential backoff and returns what it
 * returned. The error names host, port and database, never the password, and carries the last
 * driver error as `cause`.
 */
export async function connectWithRetry<T> (attempt: () => Promise<T>, target: ConnectionTarget, retry: Required<ConnectRetryOptions>, log: Logger, signal?: AbortSignal): Promise<T> {
  const where = describeTarget(target)
  const started = Date.now()
  let delay = retry.initialDelayMs
  for (let tries = 1; ; tries++) {
    try {
      return await attempt()
    } catch (caught) {
      const err = ownConnectionCause(caught) ?? caught
      const code = driverCode(err) ?? (isConnectTimeout(err) ? 'ETIMEDOUT' : undefined)
      // Start-up gave up (pluginTimeout): no more attempts; the caller reports why.
      if (!TRANSIENT_CODES.has(code ?? '') || tries >= retry.attempts || signal?.aborted === true) {
        throw connectionFailure(err, code, target, tries, Date.now() - started)
      }
      log.warn({ attempt: tries, of: retry.attempts, code, target: where, retryInMs: delay }, `database ${where} not reachable yet (${code}), retrying`)
      await sleep(delay, undefined, signal !== undefined ? { signal } : undefined).catch(() => {})
      delay = Math.min(delay * 2, retry.maxDelayMs)
    }
  }
}

// Node's TLS verification failures (chain, expiry, host name) and pg's "server does not support SSL".
const TLS_CODES = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID'])

function tlsFailure (err: unknown, code: string | undefined): boolean {
  if (code !== undefined && TLS_CODES.has(code)) return true
  const cause = (err as { parent?: Error })?.parent ?? err
  return /does not support SSL/i.test(String((cause as Error)?.message ?? ''))
}

function connectionFailure (err: unknown, code: string | undefined, target: ConnectionTarget, attempts: number, elapsedMs: number): ConnectionError {
  const at = `${target.host}:${target.port}`
  if (tlsFailure(err, code)) {
    const reason = ((err as { parent?: Error })?.parent ?? (err as Error))?.message ?? String(err)
    const mode = target.sslVerify ?? (target.ssl ? 'require' : 'disable')
    const fix = code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? `The server's certificate does not name host "${target.host}": connect with a host name the certificate names, or use sslmode=verify-ca to check the chain only.`
      : code !== undefined && TLS_CODES.has(code)
        ? 'The server\'s certificate is not signed by a trusted CA: point PGSSLROOTCERT at the PEM of the CA that signed it (RDS endpoints use the bundled RDS CAs), or set sslmode=require to encrypt without checking the certificate.'
        : 'The server does not accept TLS: enable ssl on the server, or set sslmode=disable if plain text is really intended.'
    return new ConnectionError(`TLS to PostgreSQL at ${at} failed (sslmode=${mode}): ${reason}. ${fix}`, { cause: err, code: 'ERR_COACH_DB_TLS' })
  }
  switch (code) {
    case '28P01':
    case '28000':
      return new ConnectionError(`PostgreSQL at ${at} rejected user "${target.user}" (${code}: authentication failed). Check the user and password in your connection settings or secret.`, { cause: err, code: 'ERR_COACH_DB_AUTH' })
    case '3D000':
      return new ConnectionError(`Database "${target.database}" does not exist on ${at}. Create it (createdb -h ${target.host} -p ${target.port} ${target.database}) or fix the database name.`, { cause: err, code: 'ERR_COACH_DB_NO_DATABASE' })
    default: {
      const reason = err instanceof Error ? err.message : String(err)
      return new ConnectionError(`Could not connect to PostgreSQL at ${at} (database "${target.database}") after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${(elapsedMs / 1000).toFixed(1)} s: ${reason}. Check that the server is running and the host and port are right.`, { cause: err })
    }
  }
}
