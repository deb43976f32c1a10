import { User } from './user.js'
import { Session } from './session.js'
import { Conversation } from './conversation.js'
import { Message } from './message.js'

export * from './user.js'
export * from './session.js'
export * from './conversation.js'
export * from './message.js'

/** The model classes in foreign-key order (parents first). */
export const MODEL_CLASSES = [User, Session, Conversation, Message] as const

/**
 * The models bound to one plugin instance's Sequelize. Use these (`app.db.models.User`), not the
 * imported classes: each Sequelize instance runs in repository mode with its own copies.
 */
export interface Models {
  User: typeof User
  Session: typeof Session
  Conversation: typeof Conversation
  Message: typeof Message
}
export { CITATIONS_MAX_DEPTH, CITATIONS_MAX_BYTES } from './validation.js'
