import { type Test } from 'tap'
import { fileTest } from './helpers/file-test.js'
import Fastify, { type FastifyInstance } from 'fastify'
import { QueryTypes } from 'sequelize'
import { Sequelize } from 'sequelize-typescript'
import dbPlugin, { type CoachDbOptions } from '../lib/index.js'
import { isolateEachTest } from '../lib/testing/index.js'
import { poolFigures } from '../lib/connection/sequelize-internals.js'
import { freshDatabase, registrationError } from './helpers/app.js'
import { needsServer } from './helpers/engine.js'
import { queryRows } from './helpers/pg.js'

const t = fileTest()

const database = await freshDatabase(t)

let emails = 0
const email = (label: string): string => `${label}-${++emails}@example.test`

/** A promise and the function that resolves it: lets a test hold a handler mid-request. */
function latch (): { promise: Promise<void>, open: () => void } {
  let open!: () => void
  const promise = new Promise<void>(resolve => { open = resolve })
  return { promise, open }
}

async function usersNamed (name: string): Promise<number> {
  const rows = await queryRows<{ n: number }>(database.url, 'SELECT count(*)::int AS n FROM users WHERE name = $1', [name])
  return rows[0]!.n
}

async function build (t: Test, routes: (app: FastifyInstance) => void, options: Partial<CoachDbOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(dbPlugin, { connectionString: database.url, ...options })
  routes(app)
  await app.ready()
  return app
}

t.test('a handler that writes twice and then throws leaves no row', async t => {
  const app = await build(t, app => {
    app.post('/two-then-throw', { config: { transaction: true } }, async () => {
      await app.db.models.User.create({ email: email('a'), name: 'two-then-throw', role: 'coach' })
      await app.db.sequelize.query("INSERT INTO users (email, name, role) VALUES ($1, 'two-then-throw', 'coach')", { bind: [email('b')] })
      throw new Error('after two writes')
    })
  })
  const res = await app.inject({ method: 'POST', url: '/two-then-throw' })
  t.equal(res.statusCode, 500)
  t.equal(await usersNamed('two-then-throw'), 0, 'both the model write and the raw query were rolled back')
})

t.test('a 4xx reply rolls back; a 2xx commits before the reply is sent', async t => {
  const app = await build(t, app => {
    app.post<{ Querystring: { status: string } }>('/write', { config: { transaction: true } }, async (request, reply) => {
      await app.db.models.User.create({ email: email('w'), name: `write-${request.query.status}`, role: 'coach' })
      return await reply.code(Number(request.query.status)).send({ ok: true })
    })
  })
  t.equal((await app.inject({ method: 'POST', url: '/write?status=409' })).statusCode, 409)
  t.equal(await usersNamed('write-409'), 0, '409: rolled back')
  t.equal((await app.inject({ method: 'POST', url: '/write?status=503' })).statusCode, 503)
  t.equal(await usersNamed('write-503'), 0, '503: rolled back')
  t.equal((await app.inject({ method: 'POST', url: '/write?status=201' })).statusCode, 201)
  t.equal(await usersNamed('write-201'), 1, '201: committed, visible to another connection as soon as the reply arrives')
})

t.test('every call in the handler runs in the one transaction; request.dbTransaction is it', async t => {
  const app = await build(t, app => {
    app.get('/same', { config: { transaction: true } }, async (request) => {
      const ids = await Promise.all([
        app.db.sequelize.query<{ id: string }>('SELECT txid_current()::text AS id', { type: QueryTypes.SELECT }),
        app.db.models.User.count().then(async () => await app.db.sequelize.query<{ id: string }>('SELECT txid_current()::text AS id', { type: QueryTypes.SELECT }))
      ])
      return { ids: ids.map(rows => rows[0]!.id), hasTransaction: request.dbTransaction !== null }
    })
    app.get('/plain', async (request) => ({ hasTransaction: request.dbTransaction !== null }))
  })
  const body = (await app.inject('/same')).json() as { ids: string[], hasTransaction: boolean }
  t.equal(body.ids[0], body.ids[1], 'same transaction id')
  t.ok(body.hasTransaction)
  t.same((await app.inject('/plain')).json(), { hasTransaction: false }, 'routes without config.transaction have none')
})

t.test('isolation level per route', async t => {
  const app = await build(t, app => {
    const show = async (): Promise<string> => (await app.db.sequelize.query<{ level: string }>("SELECT current_setting('transaction_isolation') AS level", { type: QueryTypes.SELECT }))[0]!.level
    app.get('/serializable', { config: { transaction: { isolationLevel: 'SERIALIZABLE' } } }, async () => ({ level: await show() }))
    app.get('/repeatable', { config: { transaction: { isolationLevel: 'REPEATABLE READ' } } }, async () => ({ level: await show() }))
    app.get('/default', { config: { transaction: true } }, async () => ({ level: await show() }))
  })
  t.same((await app.inject('/serializable')).json(), { level: 'serializable' })
  t.same((await app.inject('/repeatable')).json(), { level: 'repeatable read' })
  t.same((await app.inject('/default')).json(), { level: 'read committed' })
})

t.test('findOrCreate and nested sequelize.transaction() become savepoints: no second connection, even with pool.max 1', async t => {
  const app = await build(t, app => {
    app.post('/nested', { config: { transaction: true } }, async (_request, reply) => {
      const { User } = app.db.models
      const address = email('n')
      const [user] = await User.findOrCreate({ where: { email: address }, defaults: { email: address, name: 'nested', role: 'coach' } })
      await app.db.sequelize.transaction(async () => {
        await User.update({ name: 'nested-renamed' }, { where: { id: user.id } })
      })
      return await reply.code(201).send({ id: user.id })
    })
  }, { pool: { max: 1 } })
  const res = await app.inject({ method: 'POST', url: '/nested' })
  t.equal(res.statusCode, 201)
  t.equal(await usersNamed('nested-renamed'), 1)
})

t.test('concurrent requests never see each other\'s uncommitted rows', needsServer('two transactions at once; PGlite has one session'), async t => {
  const written = latch()
  const gate = latch()
  const name = 'concurrent-writer'
  const app = await build(t, app => {
    app.post('/slow-write', { config: { transaction: true } }, async (_request, reply) => {
      await app.db.models.User.create({ email: email('c'), name, role: 'coach' })
      written.open()
      await gate.promise
      return await reply.code(201).send()
    })
    app.get('/count', { config: { transaction: true } }, async () => ({ n: await app.db.models.User.count({ where: { name } }) }))
  })
  const slow = app.inject({ method: 'POST', url: '/slow-write' })
  await written.promise
  t.same((await app.inject('/count')).json(), { n: 0 }, 'another request does not see the row')
  t.equal(await app.db.models.User.count({ where: { name } }), 0, 'nor does a query outside any request')
  gate.open()
  t.equal((await slow).statusCode, 201)
  t.same((await app.inject('/count')).json(), { n: 1 }, 'committed: now everyone sees it')
})

t.test('the pool is never leaked: after success, throw, 4xx, a failed query and bad input, every connection is idle', async t => {
  const app = await build(t, app => {
    app.post<{ Body: { mode: string } }>('/mixed', {
      config: { transaction: true },
      schema: { body: { type: 'object', required: ['mode'], properties: { mode: { type: 'string' } } } }
    }, async (request, reply) => {
      await app.db.models.User.create({ email: email('m'), name: 'mixed', role: 'coach' })
      if (request.body.mode === 'throw') throw new Error('boom')
      if (request.body.mode === 'conflict') return await reply.code(409).send()
      if (request.body.mode === 'bad-sql') await app.db.sequelize.query('SELECT * FROM no_such_table')
      return await reply.code(201).send()
    })
  }, { pool: { max: 3 } })
  const modes = ['ok', 'throw', 'conflict', 'bad-sql', 'ok', 'throw']
  const replies = await Promise.all([
    ...Array.from({ length: 4 }, async () => await Promise.all(modes.map(async mode => await app.inject({ method: 'POST', url: '/mixed', payload: { mode } })))),
    app.inject({ method: 'POST', url: '/mixed', payload: { nope: 1 } })
  ])
  const statuses = replies.flat().map(r => r.statusCode)
  t.same(statuses.slice(0, 6), [201, 500, 409, 500, 201, 500])
  t.equal(statuses.at(-1), 400)
  t.equal(await usersNamed('mixed'), 8, 'only the two successful requests of each round kept their row')
  const figures = poolFigures(app.db.sequelize)
  t.equal(figures.inUse, 0, 'no connection in use')
  t.equal(figures.waiting, 0, 'nobody waiting')
  t.ok(figures.size <= 3)
})

t.test('two apps in one process do not interfere', async t => {
  const other = await freshDatabase(t)
  const b = Fastify()
  t.teardown(async () => { await b.close() })
  await b.register(dbPlugin, { connectionString: other.url })
  b.post('/b-write', { config: { transaction: true } }, async (_request, reply) => {
    await b.db.models.User.create({ email: email('b'), name: 'b-app', role: 'coach' })
    return await reply.code(201).send()
  })
  await b.ready()
  // A Sequelize the plugin does not manage: Sequelize's CLS is process-wide, yet it must not join.
  const unmanaged = new Sequelize(other.url, { logging: false })
  t.teardown(async () => { await unmanaged.close() })
  const a = await build(t, app => {
    app.post('/a-calls-b', { config: { transaction: true } }, async () => {
      await app.db.models.User.create({ email: email('a'), name: 'a-app', role: 'coach' })
      // App B's model, called while app A's transaction is current: B's own pool, not A's connection.
      await b.db.models.User.create({ email: email('b'), name: 'b-direct', role: 'coach' })
      await b.inject({ method: 'POST', url: '/b-write' })
      await unmanaged.query("INSERT INTO users (email, name, role) VALUES ($1, 'b-unmanaged', 'coach')", { bind: [email('u')] })
      throw new Error('A fails after B wrote')
    })
  })
  t.equal((await a.inject({ method: 'POST', url: '/a-calls-b' })).statusCode, 500)
  t.equal(await usersNamed('a-app'), 0, 'A rolled back')
  const inB = await queryRows<{ name: string }>(other.url, "SELECT name FROM users WHERE name LIKE 'b-%' ORDER BY name")
  t.same(inB.map(r => r.name), ['b-app', 'b-direct', 'b-unmanaged'], 'B\'s writes (and the unmanaged Sequelize\'s) are committed on B\'s database')
})

t.test('config.transaction is checked when the route is declared', async t => {
  const err = await registrationError({ connectionString: database.url, transactionTypo: true })
  t.match(err.message, /Unknown option/)
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(dbPlugin, { connectionString: database.url })
  t.throws(() => app.get('/x', { config: { transaction: { isolationLevel: 'SNAPSHOT' as 'SERIALIZABLE' } } }, async () => ({})), /isolationLevel must be one of/)
  t.throws(() => app.get('/y', { config: { transaction: { readOnly: true } as object } }, async () => ({})), /unknown key "config.transaction.readOnly"/)
})

t.test('inside isolateEachTest the request transaction is a savepoint of the test\'s', async t => {
  const app = await build(t, app => {
    app.post<{ Querystring: { fail?: string } }>('/iso', { config: { transaction: true } }, async (request, reply) => {
      await app.db.models.User.create({ email: email('i'), name: 'isolated', role: 'coach' })
      await app.db.models.User.create({ email: email('i'), name: 'isolated', role: 'coach' })
      if (request.query.fail === '1') throw new Error('rolled back to the savepoint')
      return await reply.code(201).send()
    })
  })
  const { User } = app.db.models
  await t.test('writes then throws', async t => {
    isolateEachTest(t, app.db)
    await t.test('nothing stays, and the test transaction goes on', async t => {
      t.equal((await app.inject({ method: 'POST', url: '/iso?fail=1' })).statusCode, 500)
      t.equal(await User.count({ where: { name: 'isolated' } }), 0)
      t.equal((await app.inject({ method: 'POST', url: '/iso' })).statusCode, 201)
      t.equal(await User.count({ where: { name: 'isolated' } }), 2, 'committed to the test transaction: visible in the test')
    })
    await t.test('the next test starts clean', async t => {
      t.equal(await User.count({ where: { name: 'isolated' } }), 0)
    })
  })
  await t.test('and nothing reached the database', async t => {
    t.equal(await usersNamed('isolated'), 0)
    t.equal(poolFigures(app.db.sequelize).inUse, 0)
  })
})
