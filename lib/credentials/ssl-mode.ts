import { OptionsError } from '../errors.js'

// Which sslmode applies is part of *where and how* to connect, decided when the connection string
// or secret is read (credentials); turning it into TLS options is connection/tls.ts's job.

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
