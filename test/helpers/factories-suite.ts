import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { createFactories, isolateEachTest } from '../../lib/testing/index.js'

/**
 * The factories' behaviour, from where an app's tests stand: bound to app.db.models, every object
 * saved through the models into a real database, each subtest rolled back by isolateEachTest.
 * `app` is the example service (its write routes run in request transactions). Run by
 * test/factories.test.ts (the suite's engine) and test/factories-pglite.test.ts (always the
 * embedded engine, in process).
 */
export function factoriesSuite (t: Test, app: FastifyInstance): void {
  isolateEachTest(t, app.db)
  const factories = createFactories(app.db.models)
  const { User, Session, Conversation, Message } = app.db.models

  async function counts (): Promise<number[]> {
    return await Promise.all([User.count(), Session.count(), Conversation.count(), Message.count()])
  }

  t.test('user: create with an override, build unsaved, createList with unique emails', async t => {
    const coach = await factories.user.create({ role: 'coach' })
    t.ok(coach instanceof User, 'an instance of the app\'s own User model')
    t.equal(coach.role, 'coach')
    t.equal((await User.findByPk(coach.id))?.email, coach.email)

    const built = factories.user.build({ name: 'Unsaved' })
    t.equal(built.name, 'Unsaved')
    t.equal(await User.count({ where: { id: built.id } }), 0, 'build() saves nothing')

    const many = await factories.user.createList(5)
    t.equal(new Set(many.map(u => u.email)).size, 5)
    t.same(await counts(), [6, 0, 0, 0])
    t.equal((await factories.user.admin().create()).role, 'admin')
  })

  t.test('parents on demand: a message makes its conversation and user', async t => {
    const message = await factories.message.create()
    t.same(await counts(), [1, 0, 1, 1])
    const conversation = await Conversation.findByPk(message.conversationId, { include: ['user'] })
    t.ok(conversation?.user, 'the conversation belongs to a saved user')

    const user = await factories.user.create()
    const session = await factories.session.create({ userId: user.id })
    t.equal(session.userId, user.id, 'a parent given is used, not made')
    t.equal(await User.count(), 2)
    await factories.session.create()
    t.equal(await User.count(), 3)
  })

  t.test('traits: expired session, shared and archived conversation, assistant message with citations', async t => {
    const expired = await factories.session.expired().create()
    t.ok(expired.expiresAt.getTime() < Date.now())
    t.ok((await factories.session.create()).expiresAt.getTime() > Date.now())

    const user = await factories.user.create()
    const shared = await factories.conversation.shared().createList(3, { userId: user.id })
    t.equal(new Set(shared.map(c => c.shareToken)).size, 3, 'a share token per conversation')
    t.ok(shared.every(c => c.shareEnabled && c.shareToken !== null))
    t.equal((await factories.conversation.create({ userId: user.id })).shareToken, null)
    const archived = await factories.conversation.archived().shared().create({ userId: user.id })
    t.equal(archived.status, 'archived')
    t.equal(archived.shareEnabled, true)

    const answer = await factories.message.assistant().create({ conversationId: archived.id })
    const stored = await Message.findByPk(answer.id)
    t.equal(stored?.role, 'assistant')
    t.equal(stored?.citations?.sources?.[0]?.relevance, 0.95)
    t.equal(stored?.costUsd, '0.001200')
  })

  t.test('every default passes the database constraints (raw insert of built rows)', async t => {
    const user = factories.user.build()
    const conversation = factories.conversation.shared().build({ userId: user.id })
    const message = factories.message.assistant().build({ conversationId: conversation.id })
    const session = factories.session.expired().build({ userId: user.id })
    // bulkCreate with validate: false: the database's checks alone judge the rows.
    await User.bulkCreate([user], { validate: false })
    await Conversation.bulkCreate([conversation], { validate: false })
    await Message.bulkCreate([message], { validate: false })
    await Session.bulkCreate([session], { validate: false })
    t.same(await counts(), [1, 1, 1, 1])
  })

  t.test('cascade at scale: deleting a user removes 50 conversations × 20 messages and its sessions', async t => {
    const [doomed, kept] = await factories.user.createList(2)
    if (doomed === undefined || kept === undefined) throw new Error('createList(2) made fewer users')
    const conversations = await factories.conversation.createList(50, { userId: doomed.id })
    for (const conversation of conversations) await factories.message.createList(20, { conversationId: conversation.id })
    await factories.session.createList(5, { userId: doomed.id })
    const other = await factories.conversation.create({ userId: kept.id })
    await factories.message.createList(3, { conversationId: other.id })
    t.same(await counts(), [2, 5, 51, 1003])

    await User.destroy({ where: { id: doomed.id } })
    t.same(await counts(), [1, 0, 1, 3], 'only the other user\'s rows remain')
  })

  t.test('rows made by factories, written to through request-transaction routes, inside isolateEachTest', async t => {
    // Here the request transaction is a savepoint in the test's transaction; on PGlite all of it
    // shares one session, so a query that joined neither would deadlock (a 500 after 5 s).
    const user = await factories.user.create()
    const [first, second] = await factories.conversation.createList(2, { userId: user.id })
    if (first === undefined || second === undefined) throw new Error('createList(2) made fewer conversations')
    await factories.message.createList(4, { conversationId: first.id })
    await factories.session.expired().create({ userId: user.id })
    const archived = await factories.conversation.archived().create({ userId: user.id })

    const posted = await app.inject({ method: 'POST', url: `/conversations/${second.id}/messages`, payload: { role: 'user', content: 'via the route' } })
    t.equal(posted.statusCode, 201)
    const refused = await app.inject({ method: 'POST', url: `/conversations/${archived.id}/messages`, payload: { role: 'user', content: 'refused' } })
    t.equal(refused.statusCode, 409)
    t.same(await counts(), [1, 1, 3, 5], 'the 201 is there, the 409 left nothing')

    const deleted = await app.inject({ method: 'DELETE', url: `/users/${user.id}` })
    t.same(deleted.json(), { deleted: { users: 1, sessions: 1, conversations: 3, messages: 5 } })
    t.same(await counts(), [0, 0, 0, 0])
  })

  t.test('each subtest started empty: the previous ones were rolled back', async t => {
    t.same(await counts(), [0, 0, 0, 0])
  })
}
