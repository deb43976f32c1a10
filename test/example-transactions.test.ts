import { fileTest } from './helpers/file-test.js'
import { buildExampleApp } from '../example/app.js'
import { loadFixtures } from '../lib/fixtures/index.js'
import { tableCounts } from '../lib/testing/index.js'
import { freshDatabase } from './helpers/app.js'
import { onPglite } from './helpers/engine.js'

const t = fileTest()

// The example's write routes run in request transactions (route config.transaction) and pass no
// { transaction } by hand. What a client and the database show for that, on PostgreSQL and on
// PGlite. PGlite has one session: a query of the request that did not join the request's
// transaction would wait for that transaction to end, which waits for it (the engine breaks the
// deadlock after 5 s with ERR_COACH_DB_EMBEDDED_SESSION_BUSY, a 500 here). So on that engine every
// request below answering as asserted is the proof that all of its queries joined.
const database = await freshDatabase(t)
const app = await buildExampleApp({ connectionString: database.url, db: { pool: { max: 4 } } })
t.teardown(() => app.close())
const fx = await loadFixtures(app.db)
const { sequelize } = app.db
const { Conversation, Message } = app.db.models

const REFUSING = 'Refuses updates'
// Fault injection in the database itself: the second write of POST /conversations/:id/messages
// (touching the conversation's updated_at) fails for a conversation with this title, after the
// first one (the message) went in. And a probe: for a message with the content 'probe', record
// whether the conversation's row is locked by the very transaction inserting the message.
await sequelize.query(`
  CREATE TABLE lock_probe (locked_by_this_transaction boolean NOT NULL);
  CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'conversation % refuses updates', OLD.id; END $$;
  CREATE TRIGGER refuse_update BEFORE UPDATE ON conversations
    FOR EACH ROW WHEN (OLD.title = '${REFUSING}') EXECUTE FUNCTION refuse_update();
  CREATE FUNCTION probe_lock() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO lock_probe SELECT xmax::text::bigint = pg_current_xact_id()::text::bigint % 4294967296
        FROM conversations WHERE id = NEW.conversation_id;
      RETURN NEW;
    END $$;
  CREATE TRIGGER probe_lock BEFORE INSERT ON messages
    FOR EACH ROW WHEN (NEW.content = 'probe') EXECUTE FUNCTION probe_lock();
`)
t.teardown(async () => {
  await sequelize.query('DROP TRIGGER probe_lock ON messages; DROP TRIGGER refuse_update ON conversations; DROP FUNCTION probe_lock(); DROP FUNCTION refuse_update(); DROP TABLE lock_probe')
})

const post = async (conversationId: string, content: string): Promise<{ statusCode: number, body: any }> => {
  const res = await app.inject({ method: 'POST', url: `/conversations/${conversationId}/messages`, payload: { role: 'user', content } })
  return { statusCode: res.statusCode, body: res.json() }
}

t.test('a write route that fails after its first write leaves no row', async t => {
  const refusing = await Conversation.create({ userId: fx.users.ms_rivera.id, title: REFUSING })
  const before = await tableCounts(sequelize)
  const res = await post(refusing.id, 'never stored')
  t.equal(res.statusCode, 500)
  t.same(res.body, { statusCode: 500, error: 'Internal Server Error', code: 'INTERNAL', message: 'Something went wrong on our side; it has been logged.' })
  t.equal(await Message.count({ where: { content: 'never stored' } }), 0, 'the message inserted first was rolled back with the failed update')
  t.same(await tableCounts(sequelize), before, 'no table changed')
  t.same((await Conversation.findByPk(refusing.id))?.updatedAt, refusing.updatedAt)
})

t.test('the conversation row is locked by the transaction that inserts the message', async t => {
  const res = await post(fx.conversations.algebra_help.id, 'probe')
  t.equal(res.statusCode, 201)
  const [rows] = await sequelize.query('SELECT locked_by_this_transaction FROM lock_probe')
  t.same(rows, [{ locked_by_this_transaction: true }], 'SELECT … FOR UPDATE ran in the transaction that inserted the message, not in one of its own')
})

t.test('404 and 409 keep their bodies and roll back; the next write goes through', async t => {
  const archived = Object.values(fx.conversations).find(c => c.status === 'archived')!
  const before = await tableCounts(sequelize)
  t.same(await post('00000000-0000-4000-8000-000000000000', 'x'), { statusCode: 404, body: { statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: 'conversation not found' } })
  t.same(await post(archived.id, 'x'), { statusCode: 409, body: { statusCode: 409, error: 'Conflict', code: 'CONVERSATION_ARCHIVED', message: 'This conversation is archived; it takes no new messages.' } })
  t.same(await tableCounts(sequelize), before)
  const ok = await post(fx.conversations.algebra_help.id, 'after the refusals')
  t.equal(ok.statusCode, 201)
  t.equal(await Message.count({ where: { content: 'after the refusals' } }), 1, 'committed: visible outside the request')
})

t.test('DELETE /users/:id: locks, counts and delete in the request transaction', async t => {
  const user = fx.users.mr_chen
  const conversations = await Conversation.findAll({ where: { userId: user.id }, attributes: ['id'], raw: true })
  const messages = await Message.count({ where: { conversationId: conversations.map(c => c.id) } })
  const res = await app.inject({ method: 'DELETE', url: `/users/${user.id}` })
  t.equal(res.statusCode, 200)
  t.equal(res.json().deleted.conversations, conversations.length)
  t.equal(res.json().deleted.messages, messages)
  t.equal(await Conversation.count({ where: { userId: user.id } }), 0, 'committed')
  t.equal((await app.inject({ method: 'DELETE', url: `/users/${user.id}` })).statusCode, 404)
})

t.test(`many writes and reads at once, on a pool of 4${onPglite ? ' sharing PGlite\'s one session' : ''}: none deadlocks, none leaks a connection`, async t => {
  const id = fx.conversations.lesson_planning.id
  const refusing = await Conversation.create({ userId: fx.users.ms_rivera.id, title: REFUSING })
  const results = await Promise.all([
    ...Array.from({ length: 12 }, async (_, i) => (await post(id, `burst ${i}`)).statusCode),
    ...Array.from({ length: 4 }, async () => (await post(refusing.id, 'burst refused')).statusCode),
    ...Array.from({ length: 8 }, async () => (await app.inject(`/conversations/${id}/messages?limit=5`)).statusCode)
  ])
  t.same(results, [...Array(12).fill(201), ...Array(4).fill(500), ...Array(8).fill(200)])
  t.equal(await Message.count({ where: { conversationId: id, content: Array.from({ length: 12 }, (_, i) => `burst ${i}`) } }), 12)
  t.equal(await Message.count({ where: { content: 'burst refused' } }), 0)
  const { pool } = await app.db.health()
  t.equal(pool.inUse, 0, 'every request gave its connection back')
  t.equal(pool.waiting, 0)
})
