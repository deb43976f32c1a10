import { isAbsolute, resolve } from 'node:path'
import { EmbeddedEngineError } from './errors.js'

/** Where an embedded engine keeps its data: nowhere (memory) or a directory. */
/** `pglite://memory` or `pglite://<directory>`. */
export function isEmbeddedUrl (url: string | undefined): url is string {
  return typeof url === 'string' && url.startsWith('pglite://')
}

export type EmbeddedTarget =
  | { kind: 'memory' }
  | { kind: 'directory', path: string }

const PREFIX = 'pglite://'

/**
 * `pglite://memory` → in memory; `pglite://<directory>` → that directory, relative to `cwd` or
 * absolute (`pglite:///var/lib/coach`). A folder literally named `memory` is `pglite://./memory`.
 * The rest of the URL is taken literally (no host, port or query): it is a path, not a server.
 */
export function parseEmbeddedUrl (url: string, cwd: string = process.cwd()): EmbeddedTarget {
  if (!url.startsWith(PREFIX)) {
    throw new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_URL', `An embedded engine URL starts with ${PREFIX} (e.g. pglite://memory or pglite://.data).`)
  }
  const rest = url.slice(PREFIX.length)
  if (rest === 'memory') return { kind: 'memory' }
  if (rest.trim() === '') {
    throw new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_URL', 'pglite:// names no data directory. Use pglite://memory for a throwaway database or pglite://<directory> (e.g. pglite://.data) to keep it.')
  }
  if (rest.includes('?') || rest.includes('#')) {
    throw new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_URL', `pglite:// URLs take no options ("?" or "#" found in "${rest}"); the part after pglite:// is a directory path.`)
  }
  return { kind: 'directory', path: isAbsolute(rest) ? rest : resolve(cwd, rest) }
}
