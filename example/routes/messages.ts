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

  // The message and the conversation's updated_at change together: the route runs in a request
  // transaction (config.transaction), which every model call below joins by itself. It commits
  // before the 201 is sent and rolls back on the 404/409 thrown here or any later failure. The
  // conversation's row is locked (FOR UPDATE, in that transaction) so an archive or a DELETE
  // /users/:id cannot slip in between the check and the insert.
  app.post<{ Params: IdParams, Body: NewMessage }>('/conversations/:id/messages', {
    config: { transaction: true },
    schema: { params: idParams, body: newMessage, response: { 201: messageBody, '4xx': errorBody } }
  }, async (request, reply) => {
    const conversation = await Conversation.findByPk(request.params.id, { lock: true })
    if (conversation === null) throw notFound('conversation')
    if (conversation.status === 'archived') throw new HttpError(409, 'CONVERSATION_ARCHIVED', 'This conversation is archived; it takes no new messages.')
    const message = await Message.create({ ...request.body, conversationId: conversation.id })
    conversation.changed('updatedAt', true)
    await conversation.save()
    return await reply.status(201).send(message.get({ plain: true }))
  })
}
