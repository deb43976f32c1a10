import { CoachDbError } from '../errors.js'
import type { ErrorCodeOf } from '../error-codes.js'

/** Why the embedded engine (`pglite://…`) did not start (each code's JSDoc is in `ERROR_CODES`). */
export type EmbeddedErrorCode = ErrorCodeOf<'EmbeddedEngineError'>

/** The embedded PGlite engine could not start; `code` says why, `cause` holds the underlying error. */
export class EmbeddedEngineError extends CoachDbError {
  declare readonly code: EmbeddedErrorCode

  constructor (code: EmbeddedErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
