import { fileTest } from '../helpers/file-test.js'
import { fileURLToPath } from 'node:url'
import { QueryTypes } from 'sequelize'
import { Migrator } from '../../lib/migrator/migrator.js'
import { MigrationError } from '../../lib/errors.js'
import { buildApp } from '../helpers/app.js'

const t = fileTest()

// The plugin on pglite://memory exactly as an app would use it: default pool (20 connections),
// migrations on start with the advisory lock. One app for the file.
const BROKEN_DIR = fileURLToPath(new URL('../migrations/broken/', import.meta.url))
const app = await buildApp(t, { connectionString: 'pglite://memory', migrate: true })
const { sequelize, models, migrator } = app.db
const { User, Session, Conversation, Message } = models

t.test('migrations ran on start: schema in place, nothing pending, vector installed', async t => {
  t.same(await migrator.pending(), [])
  t.same((await migrator.executed()).map(m => m.name), ['20261123000000_initial_schema'])
  const tables = await sequelize.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", { type: QueryTypes.SELECT })
  t.same(tables.map(r => r.name), ['conversations', 'messages', 'schema_migrations', 'sessions', 'users'])
  const ext = await sequelize.query("SELECT extname FROM pg_extension WHERE extname = 'vector'", { type: QueryTypes.SELECT })
  t.equal(ext.length, 1)
  t.equal(sequelize.config.host, 'pglite.in-process', 'Sequelize talks to the engine over in-process streams, no TCP port')
})

t.test('a failing migration is rolled back whole (each migration is one transaction)', async t => {
  const broken = new Migrator(sequelize, { migrationsDir: BROKEN_DIR, tableName: 'broken_meta' })
  const err = await broken.up().catch((e: unknown) => e) as MigrationError
  t.type(err, MigrationError)
  t.equal(err.sqlState, '42P01')
  const [{ t: table }] = await sequelize.query<{ t: string | null }>("SELECT to_regclass('public.half_done') AS t", { type: QueryTypes.SELECT }) as [{ t: string | null }]
  t.equal(table, null, 'the table it created is gone')
  t.same(await broken.pending(), ['20261201000000_half_done'])
  await sequelize.query('DROP TABLE broken_meta')
})

t.test('models: JSONB, text[], numeric, defaults and validation', async t => {
  const user = await User.create({ email: '  Ada@Example.COM ', name: 'Ada', role: 'coach' })
  t.equal(user.email, 'ada@example.com')
  const conversation = await Conversation.create({ userId: user.id, title: 'Fractions' })
  t.equal(conversation.status, 'active')
  const citations = { sources: [{ title: 'Guide', url: 'https://example.com/g', relevance: 0.95 }], confidence: 0.92 }
  await Message.create({ conversationId: conversation.id, role: 'assistant', content: 'Hi', citations, domains: ['math', 'k12'], costUsd: '0.001250' })
  const found = await Message.findOne({ where: { conversationId: conversation.id }, raw: true })
  t.same(found?.citations, citations)
  t.same(found?.domains, ['math', 'k12'])
  t.equal(found?.costUsd, '0.001250')
  const byJsonPath = await sequelize.query("SELECT count(*)::int AS n FROM messages WHERE citations @> '{\"confidence\": 0.92}'", { type: QueryTypes.SELECT, plain: true }) as { n: number }
  t.equal(byJsonPath.n, 1, 'JSONB containment works')
  await t.rejects(User.create({ email: 'x@example.com', name: 'X', role: 'wizard' as 'coach' }), { name: 'SequelizeValidationError' })
  await t.rejects(User.create({ email: 'ADA@example.com', name: 'Dup', role: 'coach' }), { name: 'SequelizeUniqueConstraintError' })
})

t.test('deleting a user cascades to sessions, conversations and messages', async t => {
  const user = await User.create({ email: 'cascade@example.com', name: 'C', role: 'educator' })
  await Session.create({ userId: user.id, expiresAt: new Date(Date.now() + 3_600_000) })
  const conversation = await Conversation.create({ userId: user.id })
  await Message.bulkCreate([1, 2, 3].map(i => ({ conversationId: conversation.id, role: 'user' as const, content: `m${i}` })))
  await user.destroy()
  t.equal(await Session.count({ where: { userId: user.id } }), 0)
  t.equal(await Conversation.count({ where: { userId: user.id } }), 0)
  t.equal(await Message.count({ where: { conversationId: conversation.id } }), 0)
})

t.test('the vector type: store embeddings and order by distance', async t => {
  await sequelize.query('CREATE TABLE notes (id int PRIMARY KEY, embedding vector(3))')
  t.teardown(async () => { await sequelize.query('DROP TABLE notes') })
  await sequelize.query("INSERT INTO notes VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0.9,0.1,0]')")
  const nearest = await sequelize.query<{ id: number }>("SELECT id FROM notes ORDER BY embedding <-> '[1,0,0]' LIMIT 2", { type: QueryTypes.SELECT })
  t.same(nearest.map(r => r.id), [1, 3])
})

t.test('a Sequelize transaction with concurrent model queries outside it', async t => {
  const outside: Array<Promise<number>> = []
  await sequelize.transaction(async transaction => {
    await User.create({ email: 'tx@example.com', name: 'Tx', role: 'admin' }, { transaction })
    for (let i = 0; i < 10; i++) outside.push(User.count({ where: { email: 'tx@example.com' } }))
    t.equal(await User.count({ where: { email: 'tx@example.com' }, transaction }), 1, 'visible inside')
  })
  t.same(await Promise.all(outside), Array(10).fill(1), 'outside queries ran after the commit')
})
