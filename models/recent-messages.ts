import { ValidationError, ValidationErrorItem } from 'sequelize'

// Keyset paging over (created_at, id), newest first. created_at alone is not a key: rows saved in
// one millisecond (bulkCreate, a user message and the reply) or one transaction (now() is the
// transaction's start) share it, and a cursor on it alone skips the rest of them at a page edge.
// id breaks the tie. The filter and order still match idx_messages_conversation
// (conversation_id, created_at): PostgreSQL walks it backwards from `created_at <= t` (the index
// condition), sorts only the rows of one timestamp by id (Incremental Sort) and stops after LIMIT
// rows. No extra index is needed (the schema contract forbids one).

const COLUMNS = `id, conversation_id AS "conversationId", role, content, citations, domains,
  feedback_score AS "feedbackScore", input_tokens AS "inputTokens", output_tokens AS "outputTokens",
  cost_usd AS "costUsd", created_at AS "createdAt",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "cursorAt"`

/** The first page: `$1` conversation, `$2` rows to fetch. */
export const RECENT_FIRST_SQL = `SELECT ${COLUMNS} FROM messages
  WHERE conversation_id = $1
  ORDER BY created_at DESC, id DESC LIMIT $2`

/**
 * A later page: rows strictly older than `($3 created_at, $4 id)` in (created_at, id) order. Spelt
 * out rather than as the row comparison `(created_at, id) < ($3, $4)`, which the planner applies
 * as a filter only: `created_at <= $3` must be the index condition, so a deep page starts at the
 * cursor instead of filtering every newer row.
 */
export const RECENT_AFTER_SQL = `SELECT ${COLUMNS} FROM messages
  WHERE conversation_id = $1 AND created_at <= $3::timestamptz AND (created_at < $3::timestamptz OR id < $4::uuid)
  ORDER BY created_at DESC, id DESC LIMIT $2`

const CURSOR_BODY = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/

/** A position in a conversation: the last message a client has (its UTC timestamp to the microsecond, `…T…Z`, and its id). */
export interface CursorPosition { createdAt: string, id: string }

/**
 * The opaque cursor of a position. PostgreSQL's microseconds are kept (a JS Date has only
 * milliseconds, and a cursor rounded down would skip rows); base64url keeps it URL-safe and
 * tells clients not to build or read it.
 */
export function encodeCursor (position: CursorPosition): string {
  return Buffer.from(`${position.createdAt}|${position.id}`, 'utf8').toString('base64url')
}

/** The position in a cursor from {@link encodeCursor}; a ValidationError on `cursor` for anything else. */
export function decodeCursor (cursor: string): CursorPosition {
  const match = typeof cursor === 'string' && cursor.length <= 128 && /^[A-Za-z0-9_-]+$/.test(cursor)
    ? CURSOR_BODY.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
    : null
  if (match === null) {
    const message = 'cursor is not one this API issued: pass nextCursor from the previous page as it is'
    throw new ValidationError(message, [new ValidationErrorItem(message, 'validation error', 'cursor', String(cursor).slice(0, 128), null as never, 'cursor', 'decodeCursor', [])])
  }
  return { createdAt: match[1] as string, id: match[2] as string }
}
