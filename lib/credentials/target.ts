import { parse } from 'pg-connection-string'
import { OptionsError } from '../errors.js'
import { effectiveSslMode } from './ssl-mode.js'

/** Where to connect, without the password: safe to log and to put in error messages. */
export interface ConnectionTarget {
  host: string
  port: number
  database: string
  user: string
  /** `true` when TLS is used (`sslmode=require` and stricter, `ssl=true`, or an RDS endpoint). */
  ssl: boolean
  /**
   * How the server's certificate is checked: `verify-full` (chain and host name), `verify-ca`
   * (chain only), or not at all (`sslmode=require`, as in libpq). RDS endpoints default to
   * `verify-full` against the bundled RDS CAs (see tls.ts).
   */
  sslVerify?: 'verify-full' | 'verify-ca'
}

/** A parsed connection string: the loggable target plus the password kept apart. */
export interface ParsedConnectionString {
  target: ConnectionTarget
  password: string | undefined
}

const SUPPORTED_PROTOCOLS = new Set(['postgres:', 'postgresql:'])

/**
 * Parses a `postgres://` URL. The error for a malformed URL deliberately does not echo the URL:
 * it may carry a password.
 */
export function parseConnectionString (connectionString: string, origin: string): ParsedConnectionString {
  let url: URL
  try {
    url = new URL(connectionString)
  } catch (err) {
    throw new OptionsError(`${origin} is not a valid URL. Expected postgres://user:password@host:5432/database.`, { cause: stripInput(err) })
  }
  if (!SUPPORTED_PROTOCOLS.has(url.protocol)) {
    throw new OptionsError(`${origin} must start with postgres:// or postgresql:// (got "${url.protocol}//").`)
  }
  if (url.hostname === '') {
    throw new OptionsError(`${origin} has no host. Expected postgres://user:password@host:5432/database.`)
  }
  if (url.pathname === '' || url.pathname === '/') {
    throw new OptionsError(`${origin} names no database. Add it after the host: postgres://user@${url.hostname}:${url.port || 5432}/<database>.`)
  }
  const parsed = parse(connectionString)
  const host = parsed.host ?? url.hostname
  // `ssl=true` (pg's spelling) means require; RDS hosts default to verify-full; prefer/allow are refused.
  const explicit = url.searchParams.get('sslmode') ?? (url.searchParams.get('ssl') === 'true' ? 'require' : undefined)
  const mode = effectiveSslMode(host, explicit, origin)
  return {
    target: {
      host,
      port: parsed.port !== undefined && parsed.port !== null ? Number(parsed.port) : 5432,
      database: parsed.database ?? decodeURIComponent(url.pathname.slice(1)),
      user: parsed.user ?? 'postgres',
      ssl: mode !== 'disable',
      ...(mode === 'verify-full' || mode === 'verify-ca' ? { sslVerify: mode } : {})
    },
    password: parsed.password
  }
}

/** `user@host:port/database`: how a target appears in logs and messages. */
export function describeTarget (target: ConnectionTarget): string {
  return `${target.user}@${target.host}:${target.port}/${target.database}`
}

// Node's "Invalid URL" TypeError carries the input string in `err.input`; drop it so a password
// inside a malformed URL cannot leak through `cause`.
function stripInput (err: unknown): unknown {
  if (err instanceof Error) {
    const copy = new TypeError(err.message)
    ;(copy as { code?: unknown }).code = (err as { code?: unknown }).code
    return copy
  }
  return undefined
}
