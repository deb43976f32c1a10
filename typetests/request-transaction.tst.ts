import { expect, test } from 'tstyche'
import Fastify from 'fastify'
import type { Transaction } from 'sequelize'
import '../lib/index.js'
import type { IsolationLevel, RequestTransactionOptions } from '../lib/index.js'

const app = Fastify()

test('route config.transaction takes true, false or { isolationLevel }', () => {
  expect(app.post('/a', { config: { transaction: true } }, async () => null)).type.not.toRaiseError()
  expect(app.post('/b', { config: { transaction: false } }, async () => null)).type.not.toRaiseError()
  expect(app.post('/c', { config: { transaction: {} } }, async () => null)).type.not.toRaiseError()
  expect(app.post('/d', { config: { transaction: { isolationLevel: 'SERIALIZABLE' } } }, async () => null)).type.not.toRaiseError()
  expect(app.route({ method: 'PUT', url: '/e', config: { transaction: { isolationLevel: 'REPEATABLE READ' } }, handler: async () => null })).type.not.toRaiseError()
})

test('a wrong isolation level is an error', () => {
  expect(app.post('/a', { config: { transaction: { isolationLevel: 'SNAPSHOT' } } }, async () => null)).type.toRaiseError('"SNAPSHOT"')
  expect(app.post('/b', { config: { transaction: { isolationLevel: 'serializable' } } }, async () => null)).type.toRaiseError('"serializable"')
  expect(app.post('/g', { config: { transaction: null } }, async () => null)).type.toRaiseError()
  // Not caught by the types: Fastify infers a route's config type from the literal and intersects
  // it with ours, so `transaction: 'yes'`, `1` or `{ isolation: … }` compile (an all-optional object
  // type meets a primitive or an unknown key without a conflict). The route declaration throws
  // OptionsError for them at start-up (test/request-transaction.test.ts).
})

test('the request carries its transaction', () => {
  app.post('/x', { config: { transaction: true } }, async (request) => {
    expect(request.dbTransaction).type.toBe<Transaction | null>()
    return null
  })
})

test('the option types are exported', () => {
  expect<IsolationLevel>().type.toBe<'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE' | 'READ UNCOMMITTED'>()
  expect<RequestTransactionOptions>().type.toBe<{ isolationLevel?: IsolationLevel }>()
})
