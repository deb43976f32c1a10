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

  // Message.post locks the conversation's row, inserts unless it is archived and touches its
  // updated_at in one statement: atomic without a request transaction, one round trip.
  app.post<{ Params: IdParams, Body: NewMessage }>('/conversations/:id/messages', {
    schema: { params: idParams, body: newMessage, response: { 201: messageBody, '4xx': errorBody } }
  }, async (request, reply) => {
    const posted = await Message.post(request.params.id, request.body)
    if (posted.outcome === 'not-found') throw notFound('conversation')
    if (posted.outcome === 'archived') throw new HttpError(409, 'CONVERSATION_ARCHIVED', 'This conversation is archived; it takes no new messages.')
    return await reply.status(201).send(posted.message)
  })
}
