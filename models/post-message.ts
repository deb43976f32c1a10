// "Post a message" in one statement: the chat write path. Locking the conversation, checking that
// it takes messages, inserting and touching updated_at are one statement, so they are atomic on
// their own (no transaction needed) and cost one round trip; through the models they are three
// model calls in a transaction (see the README's "Writes").
//
// The conversation's row is locked (FOR UPDATE) before the insert, so an archive or a delete
// cannot slip in between the check and the insert. `status` comes back whatever happened: null
// when there is no such conversation, 'archived' when nothing was inserted because of it.

/** The columns of `messages` under the model's attribute names. */
const RETURNED = `id, conversation_id AS "conversationId", role, content, citations, domains,
  feedback_score AS "feedbackScore", input_tokens AS "inputTokens", output_tokens AS "outputTokens",
  cost_usd AS "costUsd", created_at AS "createdAt"`

/**
 * `$1` conversation id, `$2` message id, `$3` role, `$4` content, `$5` citations (JSON text),
 * `$6` domains, `$7` feedback score, `$8` input tokens, `$9` output tokens, `$10` cost, `$11` the
 * message's time (the caller's createdAt, else the application's clock, as `Message.create` stamps
 * it). updated_at only moves forward to it: the time is taken before the statement waits for a
 * connection and the lock, so a post stamped earlier can be written after a newer one.
 */
export const POST_MESSAGE_SQL = `WITH conversation AS (
    SELECT id, status FROM conversations WHERE id = $1 FOR UPDATE
  ), inserted AS (
    INSERT INTO messages (id, conversation_id, role, content, citations, domains, feedback_score, input_tokens, output_tokens, cost_usd, created_at)
    SELECT $2, conversation.id, $3, $4, $5::jsonb, $6::text[], $7, $8, $9, $10::numeric, $11::timestamptz
    FROM conversation WHERE conversation.status <> 'archived'
    RETURNING ${RETURNED}
  ), touched AS (
    UPDATE conversations SET updated_at = GREATEST(updated_at, $11::timestamptz) WHERE id = (SELECT "conversationId" FROM inserted)
  )
  SELECT (SELECT status FROM conversation) AS "conversationStatus", inserted.* FROM (SELECT 1) AS one LEFT JOIN inserted ON true`
