import { expect, test } from 'tstyche'
import Fastify from 'fastify'
import '../lib/index.js'
import { createFactories, type Factories, type UserBuild, type SessionBuild, type ConversationBuild, type MessageBuild } from '../lib/testing/index.js'
import type { Conversation, Message, Session, User } from '../lib/index.js'

const app = Fastify()
const factories = createFactories(app.db.models)

test('createFactories(app.db.models) gives the four factories', () => {
  expect(factories).type.toBe<Factories>()
  expect(createFactories(app.db)).type.toRaiseError()
})

test('create() returns the saved model instance; overrides are typed', () => {
  expect(factories.user.create({ role: 'coach' })).type.toBe<Promise<User>>()
  expect(factories.session.expired().create()).type.toBe<Promise<Session>>()
  expect(factories.conversation.shared().archived().create({ title: 'T' })).type.toBe<Promise<Conversation>>()
  expect(factories.message.assistant().create({ citations: { confidence: 0.5 } })).type.toBe<Promise<Message>>()
})

test('build() returns the unsaved attributes; createList() an array of instances', () => {
  expect(factories.user.build()).type.toBe<UserBuild>()
  expect(factories.user.build({ name: 'N' }).email).type.toBe<string>()
  expect(factories.session.build()).type.toBe<SessionBuild>()
  expect(factories.conversation.build()).type.toBe<ConversationBuild>()
  expect(factories.message.build()).type.toBe<MessageBuild>()
  expect(factories.user.buildList(2)).type.toBe<UserBuild[]>()
  expect(factories.user.createList(3, { role: 'admin' })).type.toBe<Promise<User[]>>()
  expect(factories.message.createList(2)).type.toBe<Promise<Message[]>>()
})

test('a wrong field type, an unknown field or a value outside a CHECK list is an error', () => {
  expect(factories.user.create({ role: 'root' })).type.toRaiseError('"root"')
  expect(factories.user.build({ email: 42 })).type.toRaiseError("Type 'number' is not assignable to type 'string'")
  expect(factories.conversation.create({ colour: 'red' })).type.toRaiseError()
  expect(factories.message.create({ feedbackScore: 5 })).type.toRaiseError()
  expect(factories.session.createList(2, { expiresAt: 'tomorrow' })).type.toRaiseError()
  expect(factories.user.createList('3')).type.toRaiseError()
})

test('traits belong to their own factory', () => {
  expect(factories.user.coach().create()).type.toBe<Promise<User>>()
  expect(factories.user).type.not.toHaveProperty('expired')
  expect(factories.session).type.not.toHaveProperty('shared')
})
