import { fileTest } from './helpers/file-test.js'
import { ValidationError } from 'sequelize'
import { setTimeout as sleep } from 'node:timers/promises'
import { freshDatabase, buildApp } from './helpers/app.js'
import { needsServer } from './helpers/engine.js'

const t = fileTest()

// Message.post, the one-statement write path: what it writes and returns must be what
// Message.create + touching the conversation would, and its refusals must be the same.
const database = await freshDatabase(t)
const app = await buildApp(t, { connectionString: database.url })
const { User, Conversation, Message } = app.db.models
const { sequelize } = app.db

const user = await User.create({ email: 'poster@example.com', name: 'Poster', role: 'coach' })
const conversation = await Conversation.create({ userId: user.id, title: 'Posting' })
const archived = await Conversation.create({ userId: user.id, title: 'Old', status: 'archived' })

t.test('posts the message, returns it with the model\'s attribute names and touches updatedAt', async t => {
  const before = (await Conversation.findByPk(conversation.id))?.updatedAt as Date
  const values = { role: 'assistant' as const, content: 'Here is a plan.', citations: { sources: [{ title: 'Guide', url: 'https://example.com', relevance: 0.9 }], confidence: 0.8 }, domains: ['fitness', 'sleep'], feedbackScore: 1 as const, inputTokens: 12, outputTokens: 34, costUsd: '0.000123' }
  const posted = await Message.post(conversation.id, values)
  if (posted.outcome !== 'posted') return t.fail(`expected posted, got ${posted.outcome}`)
  const stored = (await Message.findByPk(posted.message.id))?.get({ plain: true })
  t.same(posted.message, stored, 'what it returns is the stored row, as the model reads it')
  t.match(posted.message, { ...values, conversationId: conversation.id, id: /^[0-9a-f-]{36}$/ })
  t.type(posted.message.createdAt, Date)
  const after = (await Conversation.findByPk(conversation.id))?.updatedAt as Date
  t.ok(after > before, 'the conversation\'s updatedAt moved')
  t.equal(after.getTime(), posted.message.createdAt.getTime(), 'to the message\'s time')
  const plain = await Message.post(conversation.id, { role: 'user', content: 'Only the required fields' })
  t.match(plain, { outcome: 'posted', message: { citations: null, domains: null, feedbackScore: null, inputTokens: null, outputTokens: null, costUsd: null } })
})

t.test('an unknown or archived conversation gets nothing written', async t => {
  const count = await Message.count()
  t.same(await Message.post('00000000-0000-4000-8000-000000000000', { role: 'user', content: 'x' }), { outcome: 'not-found' })
  const touched = (await Conversation.findByPk(archived.id))?.updatedAt
  t.same(await Message.post(archived.id, { role: 'user', content: 'x' }), { outcome: 'archived' })
  t.equal(await Message.count(), count, 'no message')
  t.same((await Conversation.findByPk(archived.id))?.updatedAt, touched, 'the archived conversation is not touched')
})

t.test('bad values are refused as Message.create refuses them, before anything is sent', async t => {
  const count = await Message.count()
  const bad = [
    { role: 'robot', content: 'x' },
    { role: 'user', content: 'nul \u0000 byte' },
    { role: 'user', content: 'x', feedbackScore: 5 },
    { role: 'user', content: 'x', inputTokens: -1, outputTokens: 1.5 }
  ]
  for (const values of bad) {
    const viaPost = await Message.post(conversation.id, values as never).then(() => undefined, (e: unknown) => e)
    const viaCreate = await Message.create({ ...values, conversationId: conversation.id } as never).then(() => undefined, (e: unknown) => e)
    t.type(viaPost, ValidationError, JSON.stringify(values))
    t.same((viaPost as ValidationError).errors.map(e => [e.path, e.message]), (viaCreate as ValidationError).errors.map(e => [e.path, e.message]), 'the same errors as Message.create')
  }
  t.equal(await Message.count(), count, 'nothing written')
})

t.test('inside a caller\'s transaction: rolled back, nothing stays', async t => {
  const count = await Message.count()
  const transaction = await sequelize.transaction()
  const posted = await Message.post(conversation.id, { role: 'user', content: 'in a transaction' }, { transaction })
  t.equal(posted.outcome, 'posted')
  t.equal(await Message.count({ transaction }), count + 1, 'visible inside the transaction')
  await transaction.rollback()
  t.equal(await Message.count(), count, 'gone after the rollback')
})

t.test('concurrent posts to one conversation all land', async t => {
  const count = await Message.count({ where: { conversationId: conversation.id } })
  const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => await Message.post(conversation.id, { role: 'user', content: `burst ${i}` })))
  t.same(results.map(r => r.outcome), Array(20).fill('posted'))
  t.equal(await Message.count({ where: { conversationId: conversation.id } }), count + 20)
})

t.test('a createdAt given is kept, as Message.create keeps it, and does not move updatedAt back', async t => {
  const at = new Date('2020-01-01T00:00:00.000Z')
  const before = (await Conversation.findByPk(conversation.id))?.updatedAt as Date
  const posted = await Message.post(conversation.id, { role: 'user', content: 'backdated', createdAt: at })
  if (posted.outcome !== 'posted') return t.fail(`expected posted, got ${posted.outcome}`)
  t.equal(posted.message.createdAt.getTime(), at.getTime(), 'the message has the given time')
  const created = await Message.create({ conversationId: conversation.id, role: 'user', content: 'backdated', createdAt: at })
  t.equal(created.createdAt.getTime(), at.getTime(), 'as Message.create gives it')
  t.same((await Conversation.findByPk(conversation.id))?.updatedAt, before, 'the conversation keeps its newer updatedAt')
})

t.test('a post stamped before a newer one but written after it does not move updatedAt back', needsServer('two sessions at once'), async t => {
  const racing = await Conversation.create({ userId: user.id, title: 'Race' })
  const transaction = await sequelize.transaction()
  // The transaction's connection is busy for 300 ms: the first post is stamped now but sent
  // after the second, stamped 100 ms later, has committed (a pool wait does the same).
  const busy = sequelize.query('SELECT pg_sleep(0.3)', { transaction })
  const first = Message.post(racing.id, { role: 'user', content: 'stamped first, written second' }, { transaction })
  await sleep(100)
  const second = await Message.post(racing.id, { role: 'assistant', content: 'stamped second, written first' })
  await busy
  const late = await first
  await transaction.commit()
  if (second.outcome !== 'posted' || late.outcome !== 'posted') return t.fail('both should post')
  t.ok(late.message.createdAt < second.message.createdAt, 'the late write carries the older time')
  const updatedAt = (await Conversation.findByPk(racing.id))?.updatedAt as Date
  t.equal(updatedAt.getTime(), second.message.createdAt.getTime(), 'updatedAt is the newest message\'s time')
})
