import { expect, test } from 'tstyche'
import Fastify from 'fastify'
import type { Transaction } from 'sequelize'
import dbPlugin, {
  fastifyCoachDb,
  type CoachDb,
  type CoachDbOptions,
  type Logger,
  type MessageAttributes,
  type MigrationLockMode,
  type Models,
  type PlannedMigration,
  type PostMessageResult,
  type RecentMessagesPage,
  type SchemaDifference,
  type SchemaShape
} from '../lib/index.js'
import * as root from '../lib/index.js'
import * as testing from '../lib/testing/index.js'

const app = Fastify()

test('app.db and its models are typed after register', () => {
  expect(app.db).type.toBe<CoachDb>()
  expect(app.db.models).type.toBe<Models>()
  expect(app.db.models.User.findByPk('id')).type.toBe<Promise<InstanceType<Models['User']> | null>>()
  expect(app.db.health()).type.toBe<ReturnType<CoachDb['health']>>()
})

test('Message.recent returns a page of plain MessageAttributes', () => {
  expect(app.db.models.Message.recent('conversation-id')).type.toBe<Promise<RecentMessagesPage>>()
  expect<RecentMessagesPage['messages']>().type.toBe<MessageAttributes[]>()
  expect<RecentMessagesPage['nextCursor']>().type.toBe<string | null>()
  expect(app.db.models.Message.recent('id', { limit: 10, cursor: 'abc' })).type.not.toRaiseError()
  expect(app.db.models.Message.recent('id', { limit: '10' })).type.toRaiseError()
})

test('Message.post returns a result that narrows on outcome', () => {
  const posted = app.db.models.Message.post('conversation-id', { role: 'user', content: 'hi' })
  expect(posted).type.toBe<Promise<PostMessageResult>>()
  const result = {} as PostMessageResult
  if (result.outcome === 'posted') expect(result.message).type.toBe<MessageAttributes>()
  else expect(result).type.toBe<{ outcome: 'not-found' } | { outcome: 'archived' }>()
  expect(app.db.models.Message.post('id', { role: 'robot', content: 'x' })).type.toRaiseError()
  expect(app.db.models.Message.post('id', { role: 'user' })).type.toRaiseError()
  expect(app.db.models.Message.post('id', { role: 'user', content: 'x', conversationId: 'other' })).type.toRaiseError()
  expect(app.db.models.Message.post('id', { role: 'user', content: 'x' }, { transaction: {} as Transaction })).type.not.toRaiseError()
})

test('the plugin is registered with typed options', () => {
  expect(app.register(dbPlugin, { connectionString: 'postgres://u@h/db', migrate: true })).type.not.toRaiseError()
  expect(app.register(fastifyCoachDb, { secretId: 'prod/db', region: 'eu-west-1', migrationLock: 'skip' })).type.not.toRaiseError()
  expect(app.register(dbPlugin, { migrationLock: 'sometimes' })).type.toRaiseError()
  expect(app.register(dbPlugin, { pool: { max: '10' } })).type.toRaiseError()
  expect(app.register(dbPlugin, { connectionStrng: 'postgres://u@h/db' })).type.toRaiseError()
  expect(app.register(dbPlugin, { statementTimeoutMs: '5s' })).type.toRaiseError()
  expect<CoachDbOptions['migrationLock']>().type.toBe<MigrationLockMode | false | undefined>()
  expect(app.register(dbPlugin, { connectionString: 'postgres://app@localhost:15432/db', iamAuth: { hostname: 'db.abc.eu-west-1.rds.amazonaws.com', port: 5432 } })).type.not.toRaiseError()
  expect(app.register(dbPlugin, { iamAuth: { host: 'db.abc.eu-west-1.rds.amazonaws.com' } })).type.toRaiseError()
})

test('request-scoped transactions are typed on the request', () => {
  app.get('/x', { config: { transaction: true } }, async (request) => {
    expect(request.dbTransaction).type.toBe<Transaction | null>()
    return null
  })
})

test('types that public signatures use are exported', () => {
  expect<MigrationLockMode>().type.toBe<'wait' | 'skip' | 'fail'>()
  expect<PlannedMigration>().type.not.toBe<never>()
  expect<SchemaShape>().type.toHaveProperty('tables')
  expect<SchemaDifference>().type.not.toBe<never>()
  expect<Logger>().type.toHaveProperty('warn')
})

test('internals are not exported', () => {
  expect(root).type.not.toHaveProperty('MODEL_CLASSES')
  expect(testing).type.not.toHaveProperty('jsonbPath')
  expect(root).type.toHaveProperty('jsonbPath')
})

test('migrator.up takes a target and a connection to read on; the result says what it did', () => {
  expect(app.db.migrator.up()).type.toBe<Promise<root.UpResult>>()
  expect(app.db.migrator.up({ to: '20261123000000_initial_schema' })).type.not.toRaiseError()
  expect<root.UpOptions['connection']>().type.toBe<root.DedicatedConnection | undefined>()
  expect(app.db.migrator.up({ to: 42 })).type.toRaiseError()
})
