import type { FastifyError, FastifyInstance } from 'fastify'
import { BaseError, ForeignKeyConstraintError, UniqueConstraintError, ValidationError, DatabaseError } from 'sequelize'

/** A 404 or 409 a route throws on purpose; the message is shown to the client as it is. */
export class HttpError extends Error {
  constructor (readonly statusCode: 404 | 409, readonly code: string, message: string) {
    super(message)
    this.name = 'HttpError'
  }
}

/** `404 Not Found` for a row that does not exist. */
export function notFound (what: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `${what} not found`)
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error', 503: 'Service Unavailable' }

// SQLSTATEs that mean "your input broke a rule" (409) or "your input is malformed" (400).
const CONFLICT_STATES = new Set(['23505', '23503', '23514', '23P01', '23502'])
const BAD_INPUT_STATES = new Set(['22P02', '22007', '22008', '22001', '22003'])

/**
 * Turns every error into `{ statusCode, error, code, message }`: input validation → 400, unknown
 * rows → 404, constraint violations → 409, anything else → 500 with a generic message (the
 * details, SQL included, go to the log only). Never a stack trace.
 */
export function registerErrorHandler (app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { statusCode, code, message } = classify(err)
    if (statusCode >= 500) request.log.error({ err }, 'request failed')
    void reply.status(statusCode).send({ statusCode, error: REASONS[statusCode] ?? 'Error', code, message })
  })
}

function classify (err: FastifyError): { statusCode: number, code: string, message: string } {
  if (err instanceof HttpError) return { statusCode: err.statusCode, code: err.code, message: err.message }
  if (err.validation !== undefined) return { statusCode: 400, code: 'BAD_REQUEST', message: err.message }
  if (err instanceof UniqueConstraintError || err instanceof ForeignKeyConstraintError) {
    return { statusCode: 409, code: 'CONFLICT', message: constraintMessage(err) }
  }
  if (err instanceof ValidationError) {
    return { statusCode: 400, code: 'BAD_REQUEST', message: err.errors.map(e => e.message).join('; ') || err.message }
  }
  if (err instanceof DatabaseError) {
    const state = (err.parent as { code?: string }).code ?? ''
    if (CONFLICT_STATES.has(state)) return { statusCode: 409, code: 'CONFLICT', message: constraintMessage(err) }
    if (BAD_INPUT_STATES.has(state)) return { statusCode: 400, code: 'BAD_REQUEST', message: err.parent.message }
  }
  // Fastify's own 4xx (body too large, bad JSON, unsupported media type) keep their status and message.
  if (!(err instanceof BaseError) && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { statusCode: err.statusCode, code: err.code ?? 'BAD_REQUEST', message: err.message }
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'Something went wrong on our side; it has been logged.' }
}

// Names the constraint (they are part of the schema contract) but never echoes row values.
function constraintMessage (err: BaseError): string {
  const parent = (err as { parent?: { constraint?: string, table?: string } }).parent
  const constraint = parent?.constraint ?? (err as { index?: string }).index
  return `The request conflicts with existing data${constraint ? ` (constraint ${constraint})` : ''}.`
}
