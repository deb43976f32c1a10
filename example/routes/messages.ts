import type { FastifyInstance } from 'fastify'
import type { Citations, FeedbackScore, MessageRole } from '../../models/index.js'
import { errorBody, idParams, messageBody, messagePage as messagePageSchema, messagePageQuery, newMessage } from '../schemas.js'
import { HttpError, notFound } from '../http-errors.js'
import { messagePage } from '../message-page.js'

interface IdParams { id: string }
interface PageQuery { limit: number, before?: string }
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
    const { limit, before } = request.query
    const messages = await messagePage(app.db.sequelize, id, limit, before)
    // An empty page is either the end of a conversation or an unknown one: only then ask which.
    if (messages.length === 0 && await Conversation.count({ where: { id } }) === 0) throw notFound('conversation')
    return { messages, nextBefore: messages.length === limit ? messages[messages.length - 1]?.createdAt ?? null : null }
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
      conversation.changed('updated_at', true)
      await conversation.save({ transaction })
      return created
    })
    const body = message.get({ plain: true })
    // Same shape as the list's cursor (microseconds); a JS-set timestamp has whole milliseconds.
    return await reply.status(201).send({ ...body, createdAt: body.created_at.toISOString().replace('Z', '000Z') })
  })
}
