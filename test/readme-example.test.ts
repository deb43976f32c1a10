// The example of docs/testing.md ("Testing your app"), verbatim except for the two package
// imports, which point at the sources here. Keep the two in sync.
import t from 'tap'
import Fastify from 'fastify'
import coachDb from '../lib/index.js' // 'fastify-coach-db'
import { createTestDatabase, isolateEachTest, loadFixtures } from '../lib/testing/index.js' // 'fastify-coach-db/testing'

// A database of its own for this file: a clone of a migrated template (tens of ms), dropped at the end.
const database = await createTestDatabase()
t.teardown(database.drop)

// The app under test, built as in production but pointed at that database.
const app = Fastify()
await app.register(coachDb, { connectionString: database.url })
app.patch<{ Params: { id: string } }>('/conversations/:id/archive', async (request, reply) => {
  const [updated] = await app.db.models.Conversation.update({ status: 'archived' }, { where: { id: request.params.id } })
  return await reply.code(updated === 1 ? 204 : 404).send()
})
app.delete<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
  await app.db.models.User.destroy({ where: { id: request.params.id } })
  return await reply.code(204).send()
})
await app.ready()
t.teardown(() => app.close())

// The fixture set, by label, with ids that are the same on every run.
const fx = await loadFixtures(app.db)
// Every test below starts from exactly this state; whatever it writes is rolled back after it.
isolateEachTest(t, app.db)

t.test('archives a conversation', async t => {
  const res = await app.inject({ method: 'PATCH', url: `/conversations/${fx.conversations.algebra_help.id}/archive` })
  t.equal(res.statusCode, 204)
  const conversation = await app.db.models.Conversation.findByPk(fx.conversations.algebra_help.id)
  t.equal(conversation?.status, 'archived')
})

t.test('deleting a user deletes their conversations and messages', async t => {
  const { Conversation, Message } = app.db.models
  const conversationIds = [fx.conversations.algebra_help.id, fx.conversations.lesson_planning.id]
  t.equal(await Message.count({ where: { conversationId: conversationIds } }), 45)

  const res = await app.inject({ method: 'DELETE', url: `/users/${fx.users.ms_rivera.id}` })
  t.equal(res.statusCode, 204)
  t.equal(await Conversation.count({ where: { userId: fx.users.ms_rivera.id } }), 0)
  t.equal(await Message.count({ where: { conversationId: conversationIds } }), 0)
  t.equal(await Conversation.count({ where: { userId: fx.users.mr_chen.id } }), 2, 'other users keep theirs')
})

t.test('each test starts from the fixtures again', async t => {
  const conversation = await app.db.models.Conversation.findByPk(fx.conversations.algebra_help.id)
  t.equal(conversation?.status, 'active')
  t.ok(await app.db.models.User.findByPk(fx.users.ms_rivera.id))
})
