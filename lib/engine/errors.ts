import { CoachDbError } from '../errors.js'

/**
 * Why the embedded engine (`pglite://…`) did not start:
 * - `ERR_COACH_DB_EMBEDDED_URL`: the `pglite://` URL names no usable target.
 * - `ERR_COACH_DB_EMBEDDED_DIRECTORY`: the data directory can't be used (a file, not writable, or
 *   a non-empty folder that is not a PGlite data directory).
 * - `ERR_COACH_DB_EMBEDDED_IN_USE`: another process (or another engine in this one) has the directory open.
 * - `ERR_COACH_DB_EMBEDDED_START`: PGlite itself failed to start; see `cause`.
 * - `ERR_COACH_DB_EMBEDDED_MISSING`: PGlite (an optional peer dependency) is not installed.
 * - `ERR_COACH_DB_EMBEDDED_OPTION`: an option PGlite cannot honour (`statementTimeoutMs`).
 */
export type EmbeddedErrorCode =
  | 'ERR_COACH_DB_EMBEDDED_URL' | 'ERR_COACH_DB_EMBEDDED_DIRECTORY'
  | 'ERR_COACH_DB_EMBEDDED_IN_USE' | 'ERR_COACH_DB_EMBEDDED_START' | 'ERR_COACH_DB_EMBEDDED_OPTION'
  | 'ERR_COACH_DB_EMBEDDED_MISSING'

/** The embedded PGlite engine could not start; `code` says why, `cause` holds the underlying error. */
export class EmbeddedEngineError extends CoachDbError {
  constructor (code: EmbeddedErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
