import type { FastifyInstance } from 'fastify'
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

/** What a share link shows: the dialogue. `system` messages are instructions to the assistant, not the user's to share. */
const SHARED_ROLES = ['user', 'assistant']

/**
 * `GET /shared/:token`: the public, read-only view of a conversation whose owner enabled sharing:
 * its user and assistant messages, oldest first. A disabled share answers exactly like an unknown
 * token (404), so a revoked link reveals nothing; the owner's identity is never part of the answer.
 */
export async function sharedRoutes (app: FastifyInstance): Promise<void> {
  const { Conversation, Message } = app.db.models

  app.get<{ Params: { token: string } }>('/shared/:token', {
    schema: { params: tokenParams, response: { 200: sharedBody, '4xx': errorBody } }
  }, async (request) => {
    // idx_conversations_share_token (unique) finds the row.
    const conversation = await Conversation.findOne({ where: { shareToken: request.params.token, shareEnabled: true }, attributes: ['id', 'title', 'createdAt'], raw: true })
    if (conversation === null) throw notFound('shared conversation')
    // idx_messages_conversation serves the filter and the order; the role filter is applied on it.
    const messages = await Message.findAll({
      where: { conversationId: conversation.id, role: SHARED_ROLES },
      attributes: ['id', 'role', 'content', 'citations', 'domains', 'feedbackScore', 'createdAt'],
      order: [['createdAt', 'ASC'], ['id', 'ASC']],
      limit: SHARED_MESSAGE_LIMIT
    })
    // Instances, not raw rows: the model's getters apply (a citations document too deep to
    // serialise reads as null rather than failing the page).
    return { title: conversation.title, createdAt: conversation.createdAt, messages: messages.map(m => m.get({ plain: true })) }
  })
}
