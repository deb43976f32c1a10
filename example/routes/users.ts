import type { FastifyInstance } from 'fastify'
import { conversationSummary, errorBody, idParams } from '../schemas.js'
import { notFound } from '../http-errors.js'

interface IdParams { id: string }

const deletedBody = {
  type: 'object',
  properties: {
    deleted: {
      type: 'object',
      properties: { users: { type: 'integer' }, sessions: { type: 'integer' }, conversations: { type: 'integer' }, messages: { type: 'integer' } }
    }
  }
} as const

/** `GET /users/:id/conversations` and `DELETE /users/:id`. */
export async function userRoutes (app: FastifyInstance): Promise<void> {
  const { User, Session, Conversation, Message } = app.db.models

  app.get<{ Params: IdParams }>('/users/:id/conversations', {
    schema: { params: idParams, response: { 200: { type: 'array', items: conversationSummary }, '4xx': errorBody } }
  }, async (request) => {
    const user = await User.findByPk(request.params.id, { attributes: ['id'] })
    if (user === null) throw notFound('user')
    // idx_conversations_user serves the filter; a user has tens of conversations, not thousands.
    // Only the listed attributes are read (the share token stays in the database).
    return await Conversation.findAll({
      where: { userId: user.id },
      attributes: ['id', 'title', 'status', 'shareEnabled', 'createdAt', 'updatedAt'],
      order: [['updatedAt', 'DESC']],
      raw: true
    })
  })

  // The database cascades to sessions, conversations and messages (ON DELETE CASCADE). The counts
  // are exact because nothing can be added between counting and deleting: the user's row is
  // locked (a new session or conversation takes a KEY SHARE lock on it, and waits) and so are
  // its conversations (so does a new message on its conversation). Posts already under way hold
  // those locks until they commit, so the counts, read after the locks are granted, include them.
  app.delete<{ Params: IdParams }>('/users/:id', {
    // One request transaction for the locks, the counts and the delete (see above).
    config: { transaction: true },
    schema: { params: idParams, response: { 200: deletedBody, '4xx': errorBody } }
  }, async (request) => {
    const id = request.params.id
    const user = await User.findByPk(id, { attributes: ['id'], lock: true })
    if (user === null) throw notFound('user')
    const conversationIds = (await Conversation.findAll({ attributes: ['id'], where: { userId: id }, raw: true, lock: true })).map(c => c.id)
    const sessions = await Session.count({ where: { userId: id } })
    const messages = conversationIds.length === 0 ? 0 : await Message.count({ where: { conversationId: conversationIds } })
    await User.destroy({ where: { id } })
    return { deleted: { users: 1, sessions, conversations: conversationIds.length, messages } }
  })
}
