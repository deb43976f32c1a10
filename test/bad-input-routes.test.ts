import { fileTest } from './helpers/file-test.js'
import { buildExampleApp } from '../example/app.js'
import { loadFixtures } from '../lib/fixtures/index.js'
import { tableCounts } from '../lib/testing/index.js'
import { freshDatabase } from './helpers/app.js'

const t = fileTest()

// Bad input through the example service's routes, table-driven: each request gets the status a
// client should see, a body that names the field or rule, no stack and no secret, and no row of
// any table changes.

const PASSWORD = 'route-secret-51c2'
const database = await freshDatabase(t)
const app = await buildExampleApp({ connectionString: database.url.replace('postgres@', `postgres:${PASSWORD}@`) })
t.teardown(() => app.close())
const fx = await loadFixtures(app.db)

const UNKNOWN = '00000000-0000-4000-8000-000000000000'
const INJECTION = "x'); DROP TABLE users; --"
const active = fx.conversations.algebra_help.id
const archived = Object.values(fx.conversations).find(c => c.status === 'archived')?.id as string
const post = (conversation: string, body: string | object): Request => ({ method: 'POST', url: `/conversations/${conversation}/messages`, payload: body })

interface Request { method: 'GET' | 'POST' | 'DELETE', url: string, payload?: string | object, headers?: Record<string, string> }
type Case = [name: string, request: Request, status: number, message: RegExp]
// A JSON body as a client writes it: escapes such as \u0000 and \ud800 stay in the text.
const postJson = (conversation: string, json: string): Request => ({ method: 'POST', url: `/conversations/${conversation}/messages`, payload: json, headers: { 'content-type': 'application/json' } })
const deepJson = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`

const cases: Case[] = [
  ['user id not a UUID', { method: 'GET', url: '/users/42/conversations' }, 400, /params\/id must match format "uuid"/],
  ['user id is an injection string', { method: 'GET', url: `/users/${encodeURIComponent("1' OR '1'='1")}/conversations` }, 400, /params\/id must match format "uuid"/],
  ['unknown user', { method: 'GET', url: `/users/${UNKNOWN}/conversations` }, 404, /user not found/],
  ['delete: user id not a UUID', { method: 'DELETE', url: '/users/not-a-uuid' }, 400, /params\/id must match format "uuid"/],
  ['delete: unknown user', { method: 'DELETE', url: `/users/${UNKNOWN}` }, 404, /user not found/],
  ['messages: conversation id not a UUID', { method: 'GET', url: '/conversations/abc/messages' }, 400, /params\/id must match format "uuid"/],
  ['messages: unknown conversation', { method: 'GET', url: `/conversations/${UNKNOWN}/messages` }, 404, /conversation not found/],
  ['messages: limit 0', { method: 'GET', url: `/conversations/${active}/messages?limit=0` }, 400, /querystring\/limit must be >= 1/],
  ['messages: limit 1000', { method: 'GET', url: `/conversations/${active}/messages?limit=1000` }, 400, /querystring\/limit must be <= 100/],
  ['messages: limit not a number', { method: 'GET', url: `/conversations/${active}/messages?limit=ten` }, 400, /querystring\/limit must be integer/],
  ['messages: cursor forged', { method: 'GET', url: `/conversations/${active}/messages?cursor=yesterday` }, 400, /cursor is not one this API issued/],
  ['messages: cursor not base64url', { method: 'GET', url: `/conversations/${active}/messages?cursor=${encodeURIComponent('a b')}` }, 400, /querystring\/cursor must match pattern/],
  ['messages: unknown query parameter', { method: 'GET', url: `/conversations/${active}/messages?sort=asc` }, 400, /must NOT have additional properties/],
  ['post: role not allowed', post(active, { role: 'robot', content: 'hi' }), 400, /body\/role must be equal to one of the allowed values/],
  ['post: content missing', post(active, { role: 'user' }), 400, /body must have required property 'content'/],
  ['post: content empty', post(active, { role: 'user', content: '' }), 400, /body\/content must NOT have fewer than 1 characters/],
  ['post: content oversized', post(active, { role: 'user', content: 'a'.repeat(100_001) }), 400, /body\/content must NOT have more than 100000 characters/],
  ['post: feedback 7', post(active, { role: 'user', content: 'x', feedbackScore: 7 }), 400, /body\/feedbackScore must be equal to one of the allowed values/],
  ['post: negative input tokens', post(active, { role: 'user', content: 'x', inputTokens: -1 }), 400, /body\/inputTokens must be >= 0/],
  ['post: fractional output tokens', post(active, { role: 'user', content: 'x', outputTokens: 1.5 }), 400, /body\/outputTokens must be integer/],
  ['post: citations not an object', post(active, { role: 'assistant', content: 'x', citations: '{"sources": [' }), 400, /body\/citations must be object,null/],
  ['post: domains not an array', post(active, { role: 'user', content: 'x', domains: 'math' }), 400, /body\/domains must be array,null/],
  ['post: unknown field', post(active, { role: 'user', content: 'x', conversationId: UNKNOWN }), 400, /body must NOT have additional properties/],
  ['post: body not JSON', { method: 'POST', url: `/conversations/${active}/messages`, payload: '{"role": "user", "content": ', headers: { 'content-type': 'application/json' } }, 400, /Unexpected end of JSON input|Body is not valid JSON/],
  ['post: NUL in content', postJson(active, '{"role":"user","content":"a\\u0000b"}'), 400, /content must not contain NUL/],
  ['post: lone surrogate in content', postJson(active, '{"role":"user","content":"a\\ud800b"}'), 400, /content must be well-formed Unicode/],
  ['post: NUL in a citations key', postJson(active, '{"role":"assistant","content":"x","citations":{"a\\u0000":1}}'), 400, /citations must not contain NUL/],
  ['post: NUL in a citations value', postJson(active, '{"role":"assistant","content":"x","citations":{"sources":[{"title":"\\u0000"}]}}'), 400, /citations must not contain NUL/],
  ['post: lone surrogate in a citations key', postJson(active, '{"role":"assistant","content":"x","citations":{"\\udfff":1}}'), 400, /citations must be well-formed Unicode/],
  ['post: citations nested 5,000 deep', postJson(active, `{"role":"assistant","content":"x","citations":${deepJson(5_000)}}`), 400, /citations nests deeper than 32 levels/],
  ['post: NUL in a domain', postJson(active, '{"role":"user","content":"x","domains":["a\\u0000"]}'), 400, /domains must not contain NUL/],
  ['post: lone surrogate in a domain', postJson(active, '{"role":"user","content":"x","domains":["\\ud800"]}'), 400, /domains must be well-formed Unicode/],
  ['post: a null domain', post(active, { role: 'user', content: 'x', domains: [null] }), 400, /body\/domains\/0 must be string/],
  ['post: output tokens true', post(active, { role: 'user', content: 'x', outputTokens: true }), 400, /body\/outputTokens must be integer,null/],
  ['post: input tokens a string', post(active, { role: 'user', content: 'x', inputTokens: '12' }), 400, /body\/inputTokens must be integer,null/],
  ['post: feedback true', post(active, { role: 'user', content: 'x', feedbackScore: true }), 400, /body\/feedbackScore must be/],
  ['post: tokens beyond the integer column', postJson(active, '{"role":"user","content":"x","inputTokens":30000000000}'), 400, /token counts must be <= 2147483647/],
  ['post: tokens 1e400 (Infinity once parsed)', postJson(active, '{"role":"user","content":"x","inputTokens":1e400}'), 400, /body\/inputTokens must be integer,null/],
  ['post: citations nested 200,000 deep in arrays', postJson(active, `{"role":"assistant","content":"x","citations":{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`), 400, /citations nests deeper than 32 levels/],
  ['post: content a number', post(active, { role: 'user', content: 42 }), 400, /body\/content must be string/],
  ['post: unknown conversation', post(UNKNOWN, { role: 'user', content: 'x' }), 404, /conversation not found/],
  ['post: archived conversation', post(archived, { role: 'user', content: 'x' }), 409, /This conversation is archived/],
  ['post: conversation id is an injection string', post(encodeURIComponent(INJECTION), { role: 'user', content: 'x' }), 400, /params\/id must match format "uuid"/],
  ['shared: token guessing', { method: 'GET', url: '/shared/shr_0000000000000000' }, 404, /shared conversation not found/],
  ['shared: token of a conversation that is not shared', { method: 'GET', url: `/shared/${Object.values(fx.conversations).find(c => c.shareToken !== null && !c.shareEnabled)?.shareToken ?? 'none'}` }, 404, /shared conversation not found/],
  ['shared: token with SQL in it', { method: 'GET', url: `/shared/${encodeURIComponent("' OR share_enabled --")}` }, 400, /params\/token must match pattern/],
  ['shared: token longer than the column', { method: 'GET', url: `/shared/${'a'.repeat(65)}` }, 400, /params\/token must match pattern/]
]

t.test('each bad request gets a clear 4xx and changes nothing', async t => {
  t.ok(archived, 'the fixtures have an archived conversation')
  const before = await tableCounts(app.db.sequelize)
  for (const [name, request, status, message] of cases) {
    const res = await app.inject(request)
    t.equal(res.statusCode, status, `${name}: ${status}`)
    const body = res.json()
    t.match(body, { statusCode: status, error: String, code: String, message }, `${name}: the body says why`)
    t.notMatch(res.body, /\n\s+at |node_modules|\.ts:\d+/, `${name}: no stack trace`)
    t.notMatch(res.body, new RegExp(PASSWORD), `${name}: no password`)
    t.same(await tableCounts(app.db.sequelize), before, `${name}: no row changed`)
  }
})

t.test('a deep citations document written by SQL reads without a 500', async t => {
  const shared = Object.values(fx.conversations).find(c => c.shareEnabled)
  if (shared === undefined) return t.fail('the fixtures share a conversation')
  await app.db.sequelize.query(`INSERT INTO messages (conversation_id, role, content, citations) VALUES ($1, 'assistant', 'deep', $2::jsonb)`, { bind: [shared.id, deepJson(5_000)] })
  for (const url of [`/conversations/${shared.id}/messages?limit=100`, `/shared/${shared.shareToken as string}`]) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, url)
    if (res.statusCode !== 200) t.comment(res.body)
    t.ok(res.json().messages.some((m: { content: string }) => m.content === 'deep'), `${url}: the message is listed`)
  }
  await app.db.sequelize.query("DELETE FROM messages WHERE content = 'deep'")
})

t.test('what a client sends is what is stored', async t => {
  const text = 'emoji \ud83d\ude00, CJK 漢字, backslash-zero \\0, quote \''
  const res = await app.inject(post(active, { role: 'assistant', content: text, domains: [text], citations: { sources: [{ title: text }] }, inputTokens: 0, outputTokens: 3 }))
  t.equal(res.statusCode, 201)
  if (res.statusCode !== 201) t.comment(res.body)
  const [row] = await app.db.sequelize.query('SELECT content, domains, citations, input_tokens AS "inputTokens", output_tokens AS "outputTokens" FROM messages WHERE id = $1', { bind: [res.json().id], type: 'SELECT' as never }) as unknown as Array<Record<string, unknown>>
  t.same(row, { content: text, domains: [text], citations: { sources: [{ title: text }] }, inputTokens: 0, outputTokens: 3 })
})

t.test('injection strings in message fields are stored as data', async t => {
  const before = await tableCounts(app.db.sequelize)
  const res = await app.inject(post(active, { role: 'user', content: INJECTION, domains: [INJECTION], citations: { [INJECTION]: INJECTION, sources: [{ url: "'; DROP TABLE messages; --" }] } }))
  t.equal(res.statusCode, 201)
  t.equal(res.json().content, INJECTION)
  t.same(await tableCounts(app.db.sequelize), { ...before, messages: before.messages + 1 }, 'exactly one message more; every table still there')
})
