import { fileTest } from './helpers/file-test.js'
import type { FastifyInstance } from 'fastify'
import { fixtures, isolateEachTest, loadFixtures, type Fixtures } from '../lib/testing/index.js'
import { buildApp, freshDatabase } from './helpers/app.js'

const t = fileTest()

// ON DELETE CASCADE through the models, counted on the fixture set. Every subtest starts from the
// fixtures again (isolateEachTest), so each deletion is measured against the same state.

const database = await freshDatabase(t)
const app: FastifyInstance = await buildApp(t, { connectionString: database.url })
const fx: Fixtures = await loadFixtures(app.db)
isolateEachTest(t, app.db)
const { User, Session, Conversation, Message } = app.db.models

/** Ids of every row, per table, so "others untouched" compares exact sets rather than totals. */
async function snapshot (): Promise<Record<'users' | 'sessions' | 'conversations' | 'messages', string[]>> {
  const ids = async (model: typeof User | typeof Session | typeof Conversation | typeof Message): Promise<string[]> =>
    ((await (model as typeof User).findAll({ attributes: ['id'], raw: true })) as Array<{ id: string }>).map(r => r.id).sort()
  return { users: await ids(User), sessions: await ids(Session), conversations: await ids(Conversation), messages: await ids(Message) }
}

function without (ids: string[], removed: Iterable<string>): string[] {
  const gone = new Set(removed)
  return ids.filter(id => !gone.has(id))
}

const all = fixtures()
const riveraConversations = Object.values(all.conversations).filter(c => c.userId === all.users.ms_rivera.id).map(c => c.id)
const riveraSessions = Object.values(all.sessions).filter(s => s.userId === all.users.ms_rivera.id).map(s => s.id)
const riveraMessages = Object.values(all.messages).filter(m => riveraConversations.includes(m.conversationId)).map(m => m.id)

t.test('the fixture owner has enough rows for the counts to mean something', async t => {
  t.equal(await Session.count({ where: { userId: fx.users.ms_rivera.id } }), 3)
  t.equal(await Conversation.count({ where: { userId: fx.users.ms_rivera.id } }), 4)
  t.equal(await Message.count({ where: { conversationId: riveraConversations } }), 49)
  t.same([riveraSessions.length, riveraConversations.length, riveraMessages.length], [3, 4, 49], 'the data agrees')
})

t.test('deleting a user removes exactly their sessions, conversations and messages', async t => {
  const before = await snapshot()
  const user = await User.findByPk(fx.users.ms_rivera.id)
  await user!.destroy()
  const after = await snapshot()
  t.same(after.users, without(before.users, [fx.users.ms_rivera.id]))
  t.same(after.sessions, without(before.sessions, riveraSessions), '3 sessions gone, the others kept')
  t.same(after.conversations, without(before.conversations, riveraConversations), '4 conversations gone')
  t.same(after.messages, without(before.messages, riveraMessages), '49 messages gone')
  t.equal(before.messages.length - after.messages.length, 49)
})

t.test('deleting a user who owns nothing removes only that user', async t => {
  const before = await snapshot()
  t.equal(await User.destroy({ where: { id: fx.users.coach_patel.id } }), 1)
  const after = await snapshot()
  t.same(after, { ...before, users: without(before.users, [fx.users.coach_patel.id]) })
})

t.test('deleting a conversation removes its messages only', async t => {
  const before = await snapshot()
  const messages = Object.values(all.messages).filter(m => m.conversationId === fx.conversations.algebra_help.id).map(m => m.id)
  t.equal(messages.length, 5)
  await Conversation.destroy({ where: { id: fx.conversations.algebra_help.id } })
  const after = await snapshot()
  t.same(after.users, before.users, 'its user stays')
  t.same(after.sessions, before.sessions)
  t.same(after.conversations, without(before.conversations, [fx.conversations.algebra_help.id]))
  t.same(after.messages, without(before.messages, messages))
  t.ok(await Conversation.findByPk(fx.conversations.lesson_planning.id), 'the same user\'s other conversations stay')
})

t.test('deleting a message touches nothing else', async t => {
  const before = await snapshot()
  await Message.destroy({ where: { id: fx.messages.algebra_answer.id } })
  const after = await snapshot()
  t.same(after, { ...before, messages: without(before.messages, [fx.messages.algebra_answer.id]) })
})
