import type { FastifyInstance } from 'fastify'
import { QueryTypes } from 'sequelize'
import { errorBody, messageBody, tokenParams } from '../schemas.js'
import { notFound } from '../http-errors.js'

const sharedBody = {
  type: 'object',
  properties: {
    title: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    messages: { type: 'array', items: messageBody }
  }
} as const

/** How much of a shared conversation a public link shows. */
const SHARED_MESSAGE_LIMIT = 200

/**
 * `GET /shared/:token`: the public, read-only view of a conversation whose owner enabled sharing.
 * A disabled share answers exactly like an unknown token (404), so a revoked link reveals nothing;
 * the owner's identity is never part of the answer.
 */
export async function sharedRoutes (app: FastifyInstance): Promise<void> {
  const { Conversation } = app.db.models

  app.get<{ Params: { token: string } }>('/shared/:token', {
    schema: { params: tokenParams, response: { 200: sharedBody, '4xx': errorBody } }
  }, async (request) => {
    // idx_conversations_share_token (unique) finds the row.
    const conversation = await Conversation.findOne({ where: { shareToken: request.params.token, shareEnabled: true }, attributes: ['id', 'title', 'created_at'], raw: true })
    if (conversation === null) throw notFound('shared conversation')
    const messages = await app.db.sequelize.query(`
      SELECT id, role, content, citations, domains, feedback_score AS "feedbackScore",
             to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "createdAt"
        FROM messages WHERE conversation_id = $1 ORDER BY created_at LIMIT $2`,
    { bind: [conversation.id, SHARED_MESSAGE_LIMIT], type: QueryTypes.SELECT })
    return { title: conversation.title, createdAt: conversation.created_at, messages }
  })
}
