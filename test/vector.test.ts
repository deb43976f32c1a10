import { fileTest } from './helpers/file-test.js'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { QueryTypes } from 'sequelize'
import { DEFAULT_MIGRATIONS_DIR } from '../lib/migrator/index.js'
import { nearest, VECTOR } from '../lib/vector.js'
import { OptionsError } from '../lib/errors.js'
import { createFactories, testEngine } from '../lib/testing/index.js'
import { MessageEmbedding } from './vector/message-embedding.js'
import { buildApp, freshDatabase } from './helpers/app.js'

const t = fileTest()

// docs/vector.md end to end, on PostgreSQL or PGlite (COACH_DB_TEST_ENGINE=pglite): the app's
// migrations (a table referencing messages, an HNSW index built CONCURRENTLY outside a
// transaction), the model with a VECTOR(3) column, and nearest() with each distance.

const APP_MIGRATIONS = fileURLToPath(new URL('./migrations/vector', import.meta.url))
const database = await freshDatabase(t)
const app: FastifyInstance = await buildApp(t, { connectionString: database.url, migrate: true, migrationsDir: [DEFAULT_MIGRATIONS_DIR, APP_MIGRATIONS] })
app.db.sequelize.addModels([MessageEmbedding])
const Embedding = app.db.sequelize.model('MessageEmbedding') as typeof MessageEmbedding
const factories = createFactories(app.db.models)
const engine = await testEngine()

const select = async <T extends object>(sql: string, bind: unknown[] = []): Promise<T[]> =>
  await app.db.sequelize.query<T>(sql, { type: QueryTypes.SELECT, bind })

t.test('the migrations made the table, its cascading foreign key and the HNSW index', async t => {
  const [fk] = await select<{ def: string }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'message_embeddings'::regclass AND contype = 'f'")
  t.equal(fk?.def, 'FOREIGN KEY (message_id) REFERENCES messages(id) ON DELETE CASCADE')
  const [index] = await select<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'idx_message_embeddings_hnsw'")
  t.equal(index?.def, 'CREATE INDEX idx_message_embeddings_hnsw ON public.message_embeddings USING hnsw (embedding vector_cosine_ops)')
  const [valid] = await select<{ valid: boolean }>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'idx_message_embeddings_hnsw'::regclass")
  t.equal(valid?.valid, true, 'the concurrent build finished')
})

t.test('VECTOR(3) round-trips number[] through the model', async t => {
  const message = await factories.message.create()
  await Embedding.create({ messageId: message.id, embedding: [0.5, 0.25, -1] })
  const back = await Embedding.findByPk(message.id)
  t.same(back?.embedding, [0.5, 0.25, -1])
  const [type] = await select<{ type: string }>("SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'message_embeddings'::regclass AND attname = 'embedding'")
  t.equal(type?.type, 'vector(3)')
  t.throws(() => VECTOR(0), OptionsError)
})

t.test('nearest(): the k nearest with their distance, for <=>, <-> and <#>', async t => {
  const points: Record<string, number[]> = { east: [1, 0, 0], north: [0, 1, 0], up: [0, 0, 1], northeast: [1, 1, 0], far_east: [10, 0, 0] }
  const ids: Record<string, string> = {}
  const conversation = await factories.conversation.create()
  for (const [name, embedding] of Object.entries(points)) {
    const message = await factories.message.create({ conversationId: conversation.id, content: name })
    ids[message.id] = name
    await Embedding.create({ messageId: message.id, embedding })
  }
  const names = (rows: Array<{ messageId: string }>): string[] => rows.map(row => ids[row.messageId] ?? '?')

  const cosine = await nearest(Embedding, { column: 'embedding', to: [1, 0.1, 0], k: 3 })
  t.same(names(cosine).slice(0, 2).sort(), ['east', 'far_east'], 'east and far_east point the same way')
  t.equal(names(cosine)[2], 'northeast')
  t.ok(Math.abs((cosine[0]?.distance ?? -1) - (1 - 1 / Math.sqrt(1.01))) < 1e-6, 'cosine distance = 1 − cos θ')
  t.same(cosine[0]?.embedding.length, 3, 'rows carry the model\'s attributes, vectors as number[]')

  const l2 = await nearest(Embedding, { column: 'embedding', to: [9, 0, 0], k: 2, distance: 'l2' })
  t.same(names(l2), ['far_east', 'east'])
  t.equal(l2[0]?.distance, 1)

  const inner = await nearest(Embedding, { column: 'embedding', to: [1, 1, 0], k: 1, distance: 'innerProduct' })
  t.same(names(inner), ['far_east'])
  t.equal(inner[0]?.distance, -10, '<#> is the negative inner product')
})

t.test('nearest() refuses what it cannot bind safely', async t => {
  const m = Embedding
  await t.rejects(nearest(m, { column: 'messageId', to: [1, 2, 3] }), { code: 'ERR_COACH_DB_OPTIONS', message: /"messageId" is not a VECTOR attribute/ })
  // @ts-expect-error an attribute the model does not have
  await t.rejects(nearest(m, { column: 'embedding" ; DROP TABLE messages; --', to: [1, 2, 3] }), OptionsError)
  await t.rejects(nearest(m, { column: 'embedding', to: [1, 2, 3], k: 0 }), /k must be a whole number/)
  // @ts-expect-error not a distance
  await t.rejects(nearest(m, { column: 'embedding', to: [1, 2, 3], distance: '; DROP TABLE messages' }), /distance must be one of/)
  await t.rejects(nearest(m, { column: 'embedding', to: [Number.NaN] }), /finite numbers/)
  t.ok((await select('SELECT 1 FROM messages LIMIT 1')) !== undefined, 'messages is still there')
})

t.test('deleting a message deletes its embedding (ON DELETE CASCADE)', async t => {
  const message = await factories.message.create()
  await Embedding.create({ messageId: message.id, embedding: [1, 2, 3] })
  await app.db.models.Message.destroy({ where: { id: message.id } })
  t.equal(await Embedding.count({ where: { messageId: message.id } }), 0)
})

// 100,000 vectors (the size) are bench/vector.ts's work: inserting them into the index
// takes minutes on the 2-core test machine. The planner already prefers the index at 3,000.
t.test('EXPLAIN: the HNSW index serves the nearest-neighbour query', { skip: engine === 'pglite' ? 'PGlite: covered on PostgreSQL and in the bench' : false }, async t => {
  await app.db.sequelize.query(`WITH c AS (SELECT id FROM conversations LIMIT 1),
    m AS (INSERT INTO messages (conversation_id, role, content) SELECT c.id, 'user', 'bulk ' || g FROM c, generate_series(1, 3000) g RETURNING id)
    INSERT INTO message_embeddings (message_id, embedding) SELECT id, ARRAY[random(), random(), random()]::vector(3) FROM m`)
  await app.db.sequelize.query('ANALYZE message_embeddings')
  const [{ count } = { count: 0 }] = await select<{ count: number }>('SELECT count(*)::int AS count FROM message_embeddings')
  t.ok(count >= 3_000)
  const plan = (await select<{ 'QUERY PLAN': string }>(
    'EXPLAIN SELECT message_id, embedding <=> $1::vector AS distance FROM message_embeddings ORDER BY embedding <=> $1::vector LIMIT $2', ['[0.5,0.5,0.5]', 10]
  )).map(row => row['QUERY PLAN']).join('\n')
  t.comment(plan)
  t.match(plan, /Index Scan using idx_message_embeddings_hnsw on message_embeddings/)
  t.equal((await nearest(Embedding, { column: 'embedding', to: [0.5, 0.5, 0.5], k: 10 })).length, 10)
})
