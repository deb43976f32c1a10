import { expect, test } from 'tstyche'
import Fastify from 'fastify'
import dbPlugin, { runSessionCleanup, type PurgeExpiredResult, type SessionCleanupOptions, type SessionCleanupRun } from '../lib/index.js'

const app = Fastify()
const { Session } = app.db.models

test('Session.purgeExpired returns PurgeExpiredResult', () => {
  expect(Session.purgeExpired()).type.toBe<Promise<PurgeExpiredResult>>()
  expect(Session.purgeExpired({ batchSize: 500, maxBatches: 10, signal: AbortSignal.timeout(1) })).type.toBe<Promise<PurgeExpiredResult>>()
  expect<PurgeExpiredResult>().type.toBe<{ deleted: number, batches: number }>()
})

test('purgeExpired options are typed', () => {
  expect(Session.purgeExpired({ batchSize: '500' })).type.toRaiseError()
  expect(Session.purgeExpired({ batch: 500 })).type.toRaiseError()
  expect(Session.purgeExpired({ transaction: 'tx' })).type.toRaiseError()
})

test('sessionCleanup option shapes', () => {
  expect(app.register(dbPlugin, { sessionCleanup: true })).type.not.toRaiseError()
  expect(app.register(dbPlugin, { sessionCleanup: false })).type.not.toRaiseError()
  expect(app.register(dbPlugin, { sessionCleanup: { intervalMs: 60_000, batchSize: 1_000, maxBatchesPerRun: 100 } })).type.not.toRaiseError()
  expect(app.register(dbPlugin, { sessionCleanup: { intervalMs: '1m' } })).type.toRaiseError()
  expect(app.register(dbPlugin, { sessionCleanup: { batchSize: null } })).type.toRaiseError()
  expect(app.register(dbPlugin, { sessionCleanup: { every: 60_000 } })).type.toRaiseError()
  expect(app.register(dbPlugin, { sessionCleanup: 60_000 })).type.toRaiseError()
  expect<SessionCleanupOptions>().type.toBe<{ intervalMs?: number, batchSize?: number, maxBatchesPerRun?: number }>()
})

test('one cleanup run, by hand', () => {
  const options = { intervalMs: 1, batchSize: 10, maxBatchesPerRun: 1 }
  expect(runSessionCleanup(app.db.sequelize, Session, options)).type.toBe<Promise<SessionCleanupRun>>()
  expect(runSessionCleanup(app.db.sequelize, Session, { batchSize: 10 })).type.toRaiseError()
  expect<SessionCleanupRun>().type.toBe<{ deleted: number, batches: number, skipped: boolean }>()
})
