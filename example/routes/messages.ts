import type { FastifyInstance } from 'fastify'
import type { Citations, FeedbackScore, MessageRole } from '../../lib/index.js'
import { errorBody, idParams, messageBody, messagePage as messagePageSchema, messagePageQuery, newMessage } from '../schemas.js'
import { HttpError, notFound } from '../http-errors.js'

interface IdParams { id: string }
interface PageQuery { limit: number, cursor?: string }
interface NewMessage {
  role: MessageRole
  content: string
  citations?: Citations | null
  domains?: string[] | null
  feedbackScore?: FeedbackScore | null
  inputTokens?: number | null
  outputTokens?: number | null
}

/** `GET` and `POST /conversations/:id/messages`. */
export async function messageRoutes (app: FastifyInstance): Promise<void> {
  const { Conversation, Message } = app.db.models

  app.get<{ Params: IdParams, Querystring: PageQuery }>('/conversations/:id/messages', {
    schema: { params: idParams, querystring: messagePageQuery, response: { 200: messagePageSchema, '4xx': errorBody } }
  }, async (request) => {
    const { id } = request.params
    const { limit, cursor } = request.query
    // Keyset paging over (created_at, id) on idx_messages_conversation; a forged cursor is a
    // ValidationError (400).
    const page = await Message.recent(id, { limit, ...(cursor !== undefined ? { cursor } : {}) })
    // An empty page is either the end of a conversation or an unknown one: only then ask which.
    if (page.messages.length === 0 && await Conversation.count({ where: { id } }) === 0) throw notFound('conversation')
    return page
  })

  // The message and the conversation's updated_at change together, in one transaction; every
  // query inside it passes { transaction } (on the embedded engine, one that didn't would wait
  // for this transaction to end: a deadlock).
  app.post<{ Params: IdParams, Body: NewMessage }>('/conversations/:id/messages', {
    schema: { params: idParams, body: newMessage, response: { 201: messageBody, '4xx': errorBody } }
  }, async (request, reply) => {
    const message = await app.db.sequelize.transaction(async transaction => {
      const conversation = await Conversation.findByPk(request.params.id, { transaction, lock: transaction.LOCK.UPDATE })
      if (conversation === null) throw notFound('conversation')
      if (conversation.status === 'archived') throw new HttpError(409, 'CONVERSATION_ARCHIVED', 'This conversation is archived; it takes no new messages.')
      const created = await Message.create({ ...request.body, conversationId: conversation.id }, { transaction })
      conversation.changed('updatedAt', true)
      await conversation.save({ transaction })
      return created
    })
    return await reply.status(201).send(message.get({ plain: true }))
  })
}
