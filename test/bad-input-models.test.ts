import { fileTest } from './helpers/file-test.js'
import { inspect } from 'node:util'
import { buildApp, freshDatabase } from './helpers/app.js'

const t = fileTest()

// Bad input through the models and raw SQL, table-driven: each case must fail with an error that
// names the field or constraint, carries no stack or secret in its message, and changes no row.

const PASSWORD = 'not-for-logs-7f3a'
const db = await freshDatabase(t)
const app = await buildApp(t, { connectionString: db.url.replace('postgres@', `postgres:${PASSWORD}@`) })
const { User, Session, Conversation, Message } = app.db.models
const { sequelize } = app.db

const owner = await User.create({ email: 'owner@example.com', name: 'Owner', role: 'coach' })
const conversation = await Conversation.create({ userId: owner.id, title: 'Existing', shareToken: 'existing-token', shareEnabled: true })
await Message.create({ conversationId: conversation.id, role: 'user', content: 'hello' })

const INJECTION = "x'); DROP TABLE users; --"
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'
const long = (n: number): string => 'a'.repeat(n)
const NUL = 'a\u0000b'
const LONE = 'a\ud800b'
/** `{ a: { a: … { a: 1 } } }`, `depth` objects deep. */
function nested (depth: number): Record<string, unknown> {
  let doc: Record<string, unknown> = { a: 1 }
  for (let i = 1; i < depth; i++) doc = { a: doc }
  return doc
}
const msg = (fields: Record<string, unknown>): Promise<unknown> => Message.create({ conversationId: conversation.id, role: 'assistant', content: 'x', ...fields } as never)

async function counts (): Promise<Record<string, number>> {
  const [rows] = await sequelize.query('SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM sessions)::int AS sessions, (SELECT count(*) FROM conversations)::int AS conversations, (SELECT count(*) FROM messages)::int AS messages')
  return rows[0] as Record<string, number>
}

// What a caller can read off the error: its message, and for a raw query (no model to word it)
// the constraint PostgreSQL reports.
function describe (err: unknown): string {
  const constraint = (err as { parent?: { constraint?: string } }).parent?.constraint
  return [(err as Error).message, constraint].filter(Boolean).join(' ')
}

type Case = [name: string, action: () => Promise<unknown>, expected: RegExp]

const cases: Case[] = [
  // users
  ['user role not allowed', () => User.create({ email: 'r1@example.com', name: 'R', role: 'student' as never }), /check_user_role/],
  ['user role in upper case', () => User.create({ email: 'r2@example.com', name: 'R', role: 'ADMIN' as never }), /check_user_role/],
  ['user role empty', () => User.create({ email: 'r3@example.com', name: 'R', role: '' as never }), /check_user_role/],
  ['user role missing', () => User.create({ email: 'r4@example.com', name: 'R' } as never), /User\.role cannot be null/],
  ['user role via raw SQL', () => sequelize.query("INSERT INTO users (email, name, role) VALUES ('r5@example.com', 'R', 'root')"), /check_user_role/],
  ['duplicate email', () => User.create({ email: 'owner@example.com', name: 'Dup', role: 'coach' }), /uq_users_email/],
  ['duplicate email in other case and spaces', () => User.create({ email: '  OWNER@Example.com ', name: 'Dup', role: 'coach' }), /uq_users_email/],
  ['duplicate email via raw SQL', () => sequelize.query("INSERT INTO users (email, name, role) VALUES ('owner@example.com', 'Dup', 'coach')"), /uq_users_email/],
  ['email not an email', () => User.create({ email: 'not-an-email', name: 'E', role: 'coach' }), /email must be a valid email address/],
  ['email is an injection string', () => User.create({ email: INJECTION, name: 'E', role: 'coach' }), /email must be a valid email address/],
  ['email missing', () => User.create({ name: 'E', role: 'coach' } as never), /User\.email cannot be null/],
  ['email too long for varchar(255)', () => User.create({ email: `${long(250)}@example.com`, name: 'E', role: 'coach' }, { validate: false }), /value too long for type character varying\(255\)/],
  ['name empty', () => User.create({ email: 'n1@example.com', name: '', role: 'coach' }), /name must not be empty/],
  ['name missing', () => User.create({ email: 'n2@example.com', role: 'coach' } as never), /User\.name cannot be null/],
  ['sso_provider longer than 50', () => User.create({ email: 's1@example.com', name: 'S', role: 'coach', ssoProvider: long(51) }), /value too long for type character varying\(50\)/],
  ['organization id malformed', () => User.create({ email: 'o1@example.com', name: 'O', role: 'coach', organizationId: 'not-a-uuid' }), /invalid input syntax for type uuid|organizationId/],
  // sessions
  ['session for an unknown user', () => Session.create({ userId: UNKNOWN_ID, expiresAt: new Date() }), /sessions_user_id_fkey/],
  ['session user id malformed', () => Session.create({ userId: "1' OR '1'='1", expiresAt: new Date() }), /invalid input syntax for type uuid|userId/],
  ['session expiry missing', () => Session.create({ userId: owner.id } as never), /Session\.expiresAt cannot be null/],
  ['session expiry not a date', () => Session.create({ userId: owner.id, expiresAt: 'tomorrow-ish' as never }), /Invalid date|invalid input syntax for type timestamp/],
  // conversations
  ['conversation status not allowed', () => Conversation.create({ userId: owner.id, status: 'deleted' as never }), /check_conversation_status/],
  ['conversation status via raw SQL', () => sequelize.query(`INSERT INTO conversations (user_id, status) VALUES ('${owner.id}', 'gone')`), /check_conversation_status/],
  ['conversation for an unknown user', () => Conversation.create({ userId: UNKNOWN_ID }), /conversations_user_id_fkey/],
  ['conversation title longer than 255', () => Conversation.create({ userId: owner.id, title: long(256) }), /value too long for type character varying\(255\)/],
  ['share token longer than 64', () => Conversation.create({ userId: owner.id, shareToken: long(65) }), /value too long for type character varying\(64\)/],
  ['duplicate share token', () => Conversation.create({ userId: owner.id, shareToken: 'existing-token' }), /idx_conversations_share_token/],
  ['share_enabled not a boolean', () => sequelize.query(`INSERT INTO conversations (user_id, share_enabled) VALUES ('${owner.id}', 'perhaps')`), /invalid input syntax for type boolean/],
  // messages
  ['message role not allowed', () => Message.create({ conversationId: conversation.id, role: 'robot' as never, content: 'x' }), /check_message_role/],
  ['message role via raw SQL', () => sequelize.query(`INSERT INTO messages (conversation_id, role, content) VALUES ('${conversation.id}', 'tool', 'x')`), /check_message_role/],
  ['message content missing', () => Message.create({ conversationId: conversation.id, role: 'user' } as never), /Message\.content cannot be null/],
  ['feedback 7', () => Message.create({ conversationId: conversation.id, role: 'user', content: 'x', feedbackScore: 7 as never }), /check_message_feedback/],
  ['feedback 0', () => Message.create({ conversationId: conversation.id, role: 'user', content: 'x', feedbackScore: 0 as never }), /check_message_feedback/],
  ['feedback 7 via raw SQL', () => sequelize.query(`INSERT INTO messages (conversation_id, role, content, feedback_score) VALUES ('${conversation.id}', 'user', 'x', 7)`), /check_message_feedback/],
  ['negative input tokens', () => Message.create({ conversationId: conversation.id, role: 'user', content: 'x', inputTokens: -1 }), /check_message_tokens/],
  ['negative output tokens', () => Message.create({ conversationId: conversation.id, role: 'user', content: 'x', outputTokens: -5 }), /check_message_tokens/],
  ['negative tokens via raw SQL', () => sequelize.query(`INSERT INTO messages (conversation_id, role, content, input_tokens, output_tokens) VALUES ('${conversation.id}', 'user', 'x', 1, -1)`), /check_message_tokens/],
  ['fractional tokens', () => Message.create({ conversationId: conversation.id, role: 'user', content: 'x', inputTokens: 1.5 }), /inputTokens must be a whole number/],
  ['message in an unknown conversation', () => Message.create({ conversationId: UNKNOWN_ID, role: 'user', content: 'x' }), /messages_conversation_id_fkey/],
  ['message conversation id malformed', () => Message.create({ conversationId: 'abc', role: 'user', content: 'x' }), /invalid input syntax for type uuid|conversationId/],
  ['citations not JSON', () => sequelize.query(`INSERT INTO messages (conversation_id, role, content, citations) VALUES ('${conversation.id}', 'assistant', 'x', '{"sources": [')`), /invalid input syntax for type json/],
  ['cost not a number', () => Message.create({ conversationId: conversation.id, role: 'user', content: 'x', costUsd: 'abc' }), /invalid input syntax for type numeric|costUsd/],
  ['cost beyond numeric(12,6)', () => Message.create({ conversationId: conversation.id, role: 'user', content: 'x', costUsd: '1000000' }), /numeric field overflow/],
  // what is stored must be what was sent: no NUL, no lone surrogate, no coercion, bounded JSON
  ['NUL in content', () => msg({ content: NUL }), /content must not contain NUL/],
  ['lone surrogate in content', () => msg({ content: LONE }), /content must be well-formed Unicode \(lone surrogate\)/],
  ['NUL in a citations key', () => msg({ citations: { [NUL]: 1 } }), /citations must not contain NUL \(in a key at citations\)/],
  ['NUL in a citations value', () => msg({ citations: { sources: [{ title: NUL }] } }), /citations must not contain NUL \(at citations\.sources\[0\]\.title\)/],
  ['lone surrogate in a citations value', () => msg({ citations: { sources: [{ url: '\udc00' }] } }), /citations must be well-formed Unicode \(lone surrogate at citations\.sources\[0\]\.url\)/],
  ['citations nested 5,000 deep', () => msg({ citations: nested(5_000) }), /citations nests deeper than 32 levels/],
  ['citations nested 33 deep', () => msg({ citations: nested(33) }), /citations nests deeper than 32 levels/],
  ['citations larger than 64 KiB', () => msg({ citations: { sources: [{ title: long(70_000) }] } }), /citations is larger than 65536 bytes as JSON/],
  ['citations an array', () => msg({ citations: [1, 2] }), /citations must be an object or null/],
  ['citations a string', () => msg({ citations: '{"sources":[]}' }), /citations must be an object or null/],
  ['citations with NaN', () => msg({ citations: { confidence: Number.NaN } }), /citations must hold JSON values only \(NaN at citations\.confidence\)/],
  ['citations with a Date', () => msg({ citations: { at: new Date(0) } }), /citations must hold JSON values only \(object Date at citations\.at\)/],
  ['NUL in a domain', () => msg({ domains: ['math', NUL] }), /domains must not contain NUL \(item 1\)/],
  ['lone surrogate in a domain', () => msg({ domains: [LONE] }), /domains must be well-formed Unicode \(lone surrogate in item 0\)/],
  ['a null domain', () => msg({ domains: [null] }), /domains must be an array of strings \(item 0 is null\)/],
  ['domains a string', () => msg({ domains: 'math' }), /domains must be an array of strings or null/],
  ['output tokens true', () => msg({ outputTokens: true }), /outputTokens must be a whole number/],
  ['input tokens a string', () => msg({ inputTokens: '12' }), /inputTokens must be a whole number/],
  ['tokens beyond the integer column', () => msg({ outputTokens: 2_147_483_648 }), /token counts must be <= 2147483647/],
  ['feedback true', () => msg({ feedbackScore: true }), /feedbackScore must be -1, 1 or null/],
  ['NUL in a title', () => Conversation.create({ userId: owner.id, title: NUL }), /title must not contain NUL/],
  ['lone surrogate in a title', () => Conversation.create({ userId: owner.id, title: LONE }), /title must be well-formed Unicode/],
  ['NUL in a name', () => User.create({ email: 'nul@example.com', name: NUL, role: 'coach' }), /name must not contain NUL/],
  ['lone surrogate in a name', () => User.create({ email: 'lone@example.com', name: LONE, role: 'coach' }), /name must be well-formed Unicode/],
  ['NUL in an sso id', () => User.create({ email: 'sso@example.com', name: 'S', role: 'coach', ssoId: NUL }), /ssoId must not contain NUL/],
  ['NUL in content through bulkCreate', () => Message.bulkCreate([{ conversationId: conversation.id, role: 'user', content: NUL }]), /content must not contain NUL/],
  ['domains not text', () => sequelize.query(`INSERT INTO messages (conversation_id, role, content, domains) VALUES ('${conversation.id}', 'user', 'x', '{"unclosed')`), /malformed array literal/]
]

t.test('each bad input fails clearly and changes nothing', async t => {
  const before = await counts()
  for (const [name, action, expected] of cases) {
    const err = await action().then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof Error, `${name}: rejected`)
    const message = (err as Error).message
    t.match(describe(err), expected, `${name}: names the field or constraint`)
    t.notMatch(message, /\n\s+at /, `${name}: no stack trace in the message`)
    t.notMatch(`${message} ${inspect(err, { depth: 4 })}`, new RegExp(PASSWORD), `${name}: no password`)
    t.same(await counts(), before, `${name}: no row changed`)
  }
  t.ok(cases.length >= 40, `${cases.length} cases`)
})

t.test('model validation names the field and does not coerce', async t => {
  const err = await msg({ outputTokens: true, domains: [null], content: NUL }).catch((e: unknown) => e) as { name: string, errors: Array<{ path: string }> }
  t.equal(err.name, 'SequelizeValidationError')
  t.same(err.errors.map(e => e.path).sort(), ['content', 'domains', 'outputTokens'], 'every bad field, by attribute name')
})

t.test('what is sent is what is stored, and deep documents written by SQL still read', async t => {
  const text = 'emoji \ud83d\ude00, accents é, CJK 漢字, quote \' backslash \\0'
  const citations = { sources: [{ title: text, url: 'https://example.com/?q=a&b=\\0', relevance: 0.5 }], confidence: 1, nested: nested(31) } // 32 levels: the limit
  const created = await Message.create({ conversationId: conversation.id, role: 'assistant', content: text, domains: [text, ''], citations, inputTokens: 0, outputTokens: 7 })
  const [row] = await sequelize.query('SELECT content, domains, citations, output_tokens AS "outputTokens" FROM messages WHERE id = $1', { bind: [created.id], type: 'SELECT' as never }) as unknown as Array<Record<string, unknown>>
  t.same(row, { content: text, domains: [text, ''], citations, outputTokens: 7 }, 'byte for byte')
  await created.destroy()

  const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`
  const [[inserted]] = await sequelize.query(`INSERT INTO messages (conversation_id, role, content, citations) VALUES ('${conversation.id}', 'assistant', 'deep', $1::jsonb) RETURNING id`, { bind: [deep] }) as unknown as [[{ id: string }]]
  const page = await Message.recent(conversation.id, { limit: 500 })
  t.ok(page.messages.some(m => m.id === inserted.id), 'Message.recent reads it')
  const found = await Message.findByPk(inserted.id)
  t.equal(found?.content, 'deep', 'findByPk reads it')
  await found?.destroy()
})

t.test('injection strings in string fields are stored as data, never run', async t => {
  const before = await counts()
  const user = await User.create({ email: 'inject@example.com', name: INJECTION, role: 'educator', ssoProvider: "okta' --", ssoId: '1; DELETE FROM users' })
  const chat = await Conversation.create({ userId: user.id, title: INJECTION, shareToken: "' OR '1'='1" })
  await Message.create({ conversationId: chat.id, role: 'user', content: INJECTION, domains: [INJECTION], citations: { sources: [{ title: INJECTION, url: "javascript:alert('x')" }], [INJECTION]: 1 } })
  const stored = await Message.findOne({ where: { conversationId: chat.id } })
  t.equal(stored?.content, INJECTION, 'content stored verbatim')
  t.same(stored?.domains, [INJECTION])
  t.equal((await User.findByPk(user.id))?.name, INJECTION)
  t.equal(await User.count({ where: { email: "' OR 1=1 --" } }), 0, 'a where value is a value, not SQL')
  t.equal(await Conversation.count({ where: { shareToken: "' OR '1'='1" } }), 1, 'matched only literally')
  const after = await counts()
  t.same(after, { users: before.users + 1, sessions: before.sessions, conversations: before.conversations + 1, messages: before.messages + 1 }, 'exactly the three rows written')
  await user.destroy()
})
