import { expect, test } from 'tstyche'
import Fastify from 'fastify'
import dbPlugin, { type DatabaseHealth, type HealthCheckOptions, type HealthRoutesOptions, type PoolFigures } from '../lib/index.js'

const app = Fastify()

test('app.db.health() returns DatabaseHealth', () => {
  expect(app.db.health()).type.toBe<Promise<DatabaseHealth>>()
  expect(app.db.health({ timeoutMs: 500 })).type.toBe<Promise<DatabaseHealth>>()
  expect(app.db.health({ timeoutMs: '500ms' })).type.toRaiseError()
  expect(app.db.health({ timeout: 500 })).type.toRaiseError()
  expect<HealthCheckOptions>().type.toBe<{ timeoutMs?: number }>()
})

test('DatabaseHealth: the figures a readiness probe reads', () => {
  expect<DatabaseHealth['ready']>().type.toBe<boolean>()
  expect<DatabaseHealth['reasons']>().type.toBe<string[]>()
  expect<DatabaseHealth['latencyMs']>().type.toBe<number | null>()
  expect<DatabaseHealth['pendingMigrations']>().type.toBe<string[] | null>()
  expect<DatabaseHealth['vectorVersion']>().type.toBe<string | null>()
  expect<DatabaseHealth['pool']>().type.toBe<PoolFigures>()
  expect<PoolFigures>().type.toHaveProperty('inUse')
  expect<PoolFigures>().type.toHaveProperty('waiting')
})

test('healthRoutes and healthTimeoutMs options', () => {
  expect(app.register(dbPlugin, { healthRoutes: true })).type.not.toRaiseError()
  expect(app.register(dbPlugin, { healthRoutes: { prefix: '/status' }, healthTimeoutMs: 1_000 })).type.not.toRaiseError()
  expect(app.register(dbPlugin, { healthRoutes: { prefix: 1 } })).type.toRaiseError()
  expect(app.register(dbPlugin, { healthRoutes: { path: '/status' } })).type.toRaiseError()
  expect(app.register(dbPlugin, { healthRoutes: 'on' })).type.toRaiseError()
  expect(app.register(dbPlugin, { healthTimeoutMs: '2s' })).type.toRaiseError()
  expect<HealthRoutesOptions>().type.toBe<{ prefix?: string }>()
})
