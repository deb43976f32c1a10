import { randomBytes, randomUUID } from 'node:crypto'
import { Factory } from 'fishery'
import type { Models } from '../../models/index.js'
import type { User, UserAttributes } from '../../models/user.js'
import type { Session, SessionAttributes } from '../../models/session.js'
import type { Conversation, ConversationAttributes } from '../../models/conversation.js'
import type { Message, MessageAttributes } from '../../models/message.js'

/** What `factories.user.build()` returns: every column the app sets, none the database fills. */
export type UserBuild = Pick<UserAttributes, 'id' | 'email' | 'name' | 'role' | 'organizationId' | 'ssoProvider' | 'ssoId' | 'lastLogin'>
/** What `factories.session.build()` returns. */
export type SessionBuild = Pick<SessionAttributes, 'id' | 'userId' | 'expiresAt' | 'lastAccessedAt'>
/** What `factories.conversation.build()` returns. */
export type ConversationBuild = Pick<ConversationAttributes, 'id' | 'userId' | 'title' | 'status' | 'shareToken' | 'shareEnabled'>
/** What `factories.message.build()` returns. */
export type MessageBuild = Omit<MessageAttributes, 'createdAt'>

// Sequences restart with the process, but a database may outlive it (a dev database, a file that
// reruns): a per-process tag keeps emails and share tokens unique across runs as well.
const RUN = randomBytes(4).toString('hex')
const DAY_MS = 86_400_000

/** Users: unique emails (`user-<run>-<n>@factory.test`), role `educator` unless overridden. */
export class UserFactory extends Factory<UserBuild, Record<string, never>, User> {
  coach (): this { return this.params({ role: 'coach' }) }
  admin (): this { return this.params({ role: 'admin' }) }
}

/** Sessions valid for a day; `.expired()` ended an hour ago. */
export class SessionFactory extends Factory<SessionBuild, Record<string, never>, Session> {
  expired (): this { return this.params({ expiresAt: new Date(Date.now() - 3_600_000) }) }
}

/** Active, unshared conversations; `.shared()` has a unique share token, `.archived()` is archived. */
export class ConversationFactory extends Factory<ConversationBuild, Record<string, never>, Conversation> {
  shared (): this { return this.params({ shareEnabled: true }) }
  archived (): this { return this.params({ status: 'archived' }) }
}

/** User messages; `.assistant()` is an answer with citations, token counts and a cost. */
export class MessageFactory extends Factory<MessageBuild, Record<string, never>, Message> {
  assistant (): this {
    return this.params({
      role: 'assistant',
      citations: { sources: [{ title: 'Coaching handbook', url: 'https://example.test/handbook', relevance: 0.95 }], confidence: 0.92 },
      domains: ['coaching'],
      inputTokens: 120,
      outputTokens: 240,
      costUsd: '0.001200'
    })
  }
}

/** The factories of one app, bound to its models: see {@link createFactories}. */
export interface Factories {
  user: UserFactory
  session: SessionFactory
  conversation: ConversationFactory
  message: MessageFactory
}

function shareToken (n: number): string {
  return `share-${RUN}-${n}`
}

/**
 * Factories (fishery) bound to one app's models — repository mode gives each app its own model
 * classes, so pass `app.db.models`: `const factories = createFactories(app.db.models)`.
 *
 * `build()` returns the attributes, unsaved; `create()` saves through the model (validators and
 * hooks run) and returns the instance; `createList(n)` saves n. A parent not given is created on
 * demand at `create()`: `factories.message.create()` makes a conversation, which makes a user.
 * (`build()` leaves a random, unsaved parent id.) Inside `isolateEachTest` every row is rolled back.
 */
export function createFactories (models: Models): Factories {
  const user = UserFactory.define(({ sequence, onCreate }): UserBuild => {
    onCreate(async attributes => await models.User.create(attributes))
    return {
      id: randomUUID(),
      email: `user-${RUN}-${sequence}@factory.test`,
      name: `Factory User ${sequence}`,
      role: 'educator',
      organizationId: null,
      ssoProvider: null,
      ssoId: null,
      lastLogin: null
    }
  })

  const session = SessionFactory.define(({ params, onCreate }): SessionBuild => {
    onCreate(async attributes => {
      if (params.userId === undefined) attributes.userId = (await user.create()).id
      return await models.Session.create(attributes)
    })
    return { id: randomUUID(), userId: randomUUID(), expiresAt: new Date(Date.now() + DAY_MS), lastAccessedAt: new Date() }
  })

  const conversation = ConversationFactory.define(({ sequence, params, onCreate }): ConversationBuild => {
    onCreate(async attributes => {
      if (params.userId === undefined) attributes.userId = (await user.create()).id
      return await models.Conversation.create(attributes)
    })
    // A shared conversation gets its own token from the sequence (unique per object, not per trait).
    const shared = params.shareEnabled === true
    return { id: randomUUID(), userId: randomUUID(), title: `Conversation ${sequence}`, status: 'active', shareToken: shared ? shareToken(sequence) : null, shareEnabled: shared }
  })

  const message = MessageFactory.define(({ sequence, params, onCreate }): MessageBuild => {
    onCreate(async attributes => {
      if (params.conversationId === undefined) attributes.conversationId = (await conversation.create()).id
      return await models.Message.create(attributes)
    })
    return {
      id: randomUUID(),
      conversationId: randomUUID(),
      role: 'user',
      content: `Message ${sequence}`,
      citations: null,
      domains: null,
      feedbackScore: null,
      inputTokens: null,
      outputTokens: null,
      costUsd: null
    }
  })

  return { user, session, conversation, message }
}
