import { fileTest } from './helpers/file-test.js'
import { inspect } from 'node:util'
import { Op, UniqueConstraintError, ValidationError, DatabaseError } from 'sequelize'
import { buildApp, freshDatabase } from './helpers/app.js'

const t = fileTest()

const db = await freshDatabase(t)
const app = await buildApp(t, { connectionString: db.url })
const { User, Session, Conversation, Message } = app.db.models
const { sequelize } = app.db

function constraintOf (err: unknown): string | undefined {
  return (err as { parent?: { constraint?: string } }).parent?.constraint
}

async function count (table: string): Promise<number> {
  const [rows] = await sequelize.query(`SELECT count(*)::int AS n FROM ${table}`)
  return (rows[0] as { n: number }).n
}

t.test('deleting a user cascades to sessions, conversations and messages', async t => {
  const user = await User.create({ email: 'cascade@example.com', name: 'Cascade', role: 'coach' })
  const other = await User.create({ email: 'bystander@example.com', name: 'Bystander', role: 'educator' })
  await Session.create({ userId: user.id, expiresAt: new Date(Date.now() + 3600_000) })
  const conversation = await Conversation.create({ userId: user.id, title: 'Algebra' })
  const kept = await Conversation.create({ userId: other.id, title: 'Kept' })
  await Message.bulkCreate([
    { conversationId: conversation.id, role: 'user', content: 'hi' },
    { conversationId: conversation.id, role: 'assistant', content: 'hello' },
    { conversationId: kept.id, role: 'user', content: 'stays' }
  ])
  await user.destroy()
  t.equal(await Session.count({ where: { userId: user.id } }), 0, 'sessions gone')
  t.equal(await Conversation.count({ where: { userId: user.id } }), 0, 'conversations gone')
  t.equal(await Message.count({ where: { conversationId: conversation.id } }), 0, 'messages gone')
  t.equal(await Message.count({ where: { conversationId: kept.id } }), 1, "the other user's message stays")
  await other.destroy()
})

t.test('an invalid role fails with check_user_role, through the model and through raw SQL', async t => {
  const viaModel = await User.create({ email: 'bad-role@example.com', name: 'Bad', role: 'student' as never }).catch((err: unknown) => err)
  t.type(viaModel, ValidationError, 'the model rejects it before the database')
  t.match((viaModel as Error).message, /check_user_role/)

  const unvalidated = await User.create({ email: 'bad-role@example.com', name: 'Bad', role: 'student' as never }, { validate: false }).catch((err: unknown) => err)
  t.type(unvalidated, DatabaseError)
  t.equal(constraintOf(unvalidated), 'check_user_role', 'the database constraint fires when validation is skipped')

  const viaSql = await sequelize.query("INSERT INTO users (email, name, role) VALUES ('raw@example.com', 'Raw', 'student')").catch((err: unknown) => err)
  t.equal(constraintOf(viaSql), 'check_user_role')
  t.equal((viaSql as { parent: { code: string } }).parent.code, '23514', 'check_violation')
})

t.test('a duplicate email fails with uq_users_email, after normalisation', async t => {
  const first = await User.create({ email: '  Dup@Example.COM ', name: 'First', role: 'admin' })
  t.equal(first.email, 'dup@example.com', 'email is trimmed and lower-cased before save')
  const err = await User.create({ email: 'dup@example.com', name: 'Second', role: 'admin' }).catch((e: unknown) => e)
  t.type(err, UniqueConstraintError)
  t.equal(constraintOf(err), 'uq_users_email')
  const viaSql = await sequelize.query("INSERT INTO users (email, name, role) VALUES ('dup@example.com', 'Raw', 'coach')").catch((e: unknown) => e)
  t.equal(constraintOf(viaSql), 'uq_users_email')
  await first.update({ email: 'RENAMED@example.com ' })
  await first.reload()
  t.equal(first.email, 'renamed@example.com', 'normalised on update too')
  await first.destroy()
})

t.test('a message with citations is found through the model API', async t => {
  const user = await User.create({ email: 'cite@example.com', name: 'Cite', role: 'coach' })
  const conversation = await Conversation.create({ userId: user.id })
  const citations = { sources: [{ title: 'Source 1', url: 'https://example.com', relevance: 0.95 }], confidence: 0.92 }
  await Message.create({ conversationId: conversation.id, role: 'assistant', content: 'cited', citations, domains: ['math', 'algebra'], feedbackScore: 1, inputTokens: 10, outputTokens: 20, costUsd: '0.001234' })
  const found = await Message.findOne({ where: { conversationId: conversation.id, citations: { confidence: 0.92 } } })
  t.ok(found, 'found by a JSONB path condition')
  t.equal(found?.citations?.confidence, 0.92)
  t.equal(found?.citations?.sources?.length, 1)
  t.equal(found?.citations?.sources?.[0]?.title, 'Source 1')
  t.same(found?.domains, ['math', 'algebra'])
  t.equal(found?.costUsd, '0.001234', 'numeric(12,6) keeps its exact value')
  const withAssociations = await Conversation.findByPk(conversation.id, { include: [Message, User] })
  t.equal(withAssociations?.messages?.length, 1, 'hasMany include works on the bound models')
  t.equal(withAssociations?.user?.email, 'cite@example.com', 'belongsTo include works')
  await user.destroy()
})

t.test('status and feedback are validated by the model with the database lists', async t => {
  const user = await User.create({ email: 'validate@example.com', name: 'V', role: 'coach' })
  const badStatus = await Conversation.create({ userId: user.id, status: 'deleted' as never }).catch((e: unknown) => e)
  t.type(badStatus, ValidationError)
  t.match((badStatus as Error).message, /check_conversation_status/)
  const conversation = await Conversation.create({ userId: user.id })
  t.equal(conversation.status, 'active')
  const badFeedback = await Message.create({ conversationId: conversation.id, role: 'user', content: 'x', feedbackScore: 7 as never }).catch((e: unknown) => e)
  t.type(badFeedback, ValidationError)
  t.match((badFeedback as Error).message, /check_message_feedback/)
  const badRole = await Message.create({ conversationId: conversation.id, role: 'robot' as never, content: 'x' }).catch((e: unknown) => e)
  t.match((badRole as Error).message, /check_message_role/)
  const badTokens = await Message.create({ conversationId: conversation.id, role: 'user', content: 'x', inputTokens: -1 }).catch((e: unknown) => e)
  t.match((badTokens as Error).message, /check_message_tokens/)
  const viaSql = await sequelize.query(`INSERT INTO messages (conversation_id, role, content, output_tokens) VALUES ('${conversation.id}', 'user', 'x', -5)`).catch((e: unknown) => e)
  t.equal(constraintOf(viaSql), 'check_message_tokens')
  t.equal(await count('messages'), 0, 'no invalid message was stored')
  await user.destroy()
})

t.test('two apps in one process have their own model classes and connections', async t => {
  const otherDb = await freshDatabase(t)
  const other = await buildApp(t, { connectionString: otherDb.url })
  t.not(other.db.models.User, User, 'different classes')
  await other.db.models.User.create({ email: 'only-in-other@example.com', name: 'Other', role: 'coach' })
  t.equal(await other.db.models.User.count(), 1)
  t.equal(await User.count({ where: { email: 'only-in-other@example.com' } }), 0, 'the first app does not see it')
  t.equal(User.sequelize, sequelize, 'the first app keeps its connection')
})

t.test('the decorator does not print the password or the connection string', async t => {
  const text = `${inspect(app.db)} ${String(app.db)} ${JSON.stringify(app.db)}`
  t.match(text, /CoachDb \{ postgres@127\.0\.0\.1:\d+\//)
  t.notMatch(text, /postgres:\/\//)
})

t.test('lookups by email find the user whatever the case and surrounding spaces', async t => {
  const user = await User.create({ email: 'Case.One@Example.org', name: 'Case', role: 'coach' })
  t.equal(user.email, 'case.one@example.org', 'stored normalised')
  t.equal((await User.findOne({ where: { email: ' CASE.One@Example.org' } }))?.id, user.id, 'findOne')
  t.equal((await User.findOne({ where: { email: { [Op.eq]: 'case.ONE@example.org ' } } }))?.id, user.id, 'findOne with Op.eq')
  t.equal((await User.findAll({ where: { email: { [Op.in]: ['CASE.ONE@EXAMPLE.ORG', 'nobody@example.org'] } } })).length, 1, 'findAll with Op.in')
  t.equal((await User.findAll({ where: { [Op.or]: [{ email: '\tCase.One@example.ORG' }, { name: 'nobody' }] } })).length, 1, 'inside Op.or')
  t.equal(await User.count({ where: { email: 'CASE.ONE@example.org' } }), 1, 'count')

  const [found, created] = await User.findOrCreate({ where: { email: '  case.one@EXAMPLE.org' }, defaults: { name: 'Other', role: 'admin' } })
  t.equal(created, false, 'findOrCreate finds the existing user')
  t.equal(found.id, user.id)
  const [fresh, made] = await User.findOrCreate({ where: { email: ' New.Person@Example.org ' }, defaults: { name: 'New', role: 'educator' } })
  t.equal(made, true, 'and creates a new one normalised')
  t.equal(fresh.email, 'new.person@example.org')

  const [updated] = await User.update({ name: 'Renamed' }, { where: { email: 'NEW.PERSON@example.org' } })
  t.equal(updated, 1, 'bulk update finds it')
  await User.update({ email: ' Moved@Example.org ' }, { where: { id: fresh.id } })
  t.equal((await User.findByPk(fresh.id))?.email, 'moved@example.org', 'bulk update stores the new address normalised')
  t.equal(await User.destroy({ where: { email: 'MOVED@example.org' } }), 1, 'bulk destroy finds it')
  await user.destroy()
})
