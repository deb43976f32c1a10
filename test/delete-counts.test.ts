import { fileTest } from './helpers/file-test.js'
import { buildExampleApp } from '../example/app.js'
import { freshDatabase } from './helpers/app.js'

const t = fileTest()

// DELETE /users/:id says how many sessions, conversations and messages went with the user. While
// clients are posting messages to that user's conversations the figures must still be exact:
// every message answered 201 was removed by the delete (its conversation is gone) and counted.
const database = await freshDatabase(t)
const app = await buildExampleApp({ connectionString: database.url, db: { pool: { max: 12 } } })
t.teardown(() => app.close())
const { User, Session, Conversation, Message } = app.db.models

const ROUNDS = 6
const POSTERS = 8

t.test('delete counts are exact under concurrent posting', async t => {
  for (let round = 0; round < ROUNDS; round++) {
    const user = await User.create({ email: `busy${round}@example.com`, name: 'Busy', role: 'educator' })
    await Session.create({ userId: user.id, expiresAt: new Date(Date.now() + 3_600_000) })
    const conversations = await Promise.all([1, 2, 3].map(async n => await Conversation.create({ userId: user.id, title: `c${n}` })))
    await Message.bulkCreate(conversations.flatMap(c => [1, 2, 3, 4, 5].map(n => ({ conversationId: c.id, role: 'user' as const, content: `seed ${n}` }))))

    let stop = false
    let created = 0
    let firstPosts: () => void = () => {}
    const posting = new Promise<void>(resolve => { firstPosts = resolve })
    const poster = async (n: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const conversation = conversations[(n + i) % conversations.length] as { id: string }
        const res = await app.inject({ method: 'POST', url: `/conversations/${conversation.id}/messages`, payload: { role: 'user', content: `p${n}.${i}` } })
        if (res.statusCode === 201) {
          created++
          if (created >= POSTERS) firstPosts()
        } else if (res.statusCode === 404 || res.statusCode === 409) {
          return // the user (and so the conversation) is gone
        } else {
          throw new Error(`POST answered ${res.statusCode}: ${res.body}`)
        }
      }
    }
    const posters = Array.from({ length: POSTERS }, async (_, n) => await poster(n))
    await posting
    const res = await app.inject({ method: 'DELETE', url: `/users/${user.id}` })
    stop = true
    await Promise.all(posters)

    t.equal(res.statusCode, 200, `round ${round}: deleted`)
    t.same(res.json(), { deleted: { users: 1, sessions: 1, conversations: 3, messages: 15 + created } }, `round ${round}: every message posted (${created}) and seeded (15) counted`)
    t.equal(await Message.count({ where: { conversationId: conversations.map(c => c.id) } }), 0, `round ${round}: none left`)
  }
})
