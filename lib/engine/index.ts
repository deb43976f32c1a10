import { OptionsError } from '../errors.js'
import type { Logger } from '../connection/logger.js'

/** An in-process PostgreSQL (PGlite) reachable over the wire protocol on loopback. */
export interface EmbeddedServer {
  /** `postgres://…@127.0.0.1:<port>/postgres` for Sequelize and pg. */
  readonly connectionString: string
  /** Stops the socket server and PGlite. */
  close: () => Promise<void>
}

/** `pglite://memory` or `pglite://<directory>`. */
export function isEmbeddedUrl (url: string | undefined): url is string {
  return typeof url === 'string' && url.startsWith('pglite://')
}

/** Starts the embedded engine for a `pglite://` URL. */
export async function startEmbedded (_url: string, _log: Logger): Promise<EmbeddedServer> {
  throw new OptionsError('pglite:// URLs are not supported yet.')
}
