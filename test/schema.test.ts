import { type Test } from 'tap'
import { fileTest } from './helpers/file-test.js'
import pg from 'pg'
import { Migrator } from '../lib/migrator/migrator.js'
import { freshDatabase } from './helpers/app.js'
import { sequelizeFor } from './helpers/migrator.js'

const t = fileTest()

// The contract (../shared/schema.md), column by column: [table, column, data type, nullable, default].
const CONTRACT_COLUMNS: Array<[string, string, string, 'YES' | 'NO', string | null]> = [
  ['conversations', 'id', 'uuid', 'NO', 'gen_random_uuid()'],
  ['conversations', 'user_id', 'uuid', 'NO', null],
  ['conversations', 'title', 'character varying(255)', 'YES', null],
  ['conversations', 'status', 'character varying(20)', 'NO', "'active'::character varying"],
  ['conversations', 'created_at', 'timestamp with time zone', 'NO', 'now()'],
  ['conversations', 'updated_at', 'timestamp with time zone', 'NO', 'now()'],
  ['conversations', 'share_token', 'character varying(64)', 'YES', null],
  ['conversations', 'share_enabled', 'boolean', 'NO', 'false'],
  ['messages', 'id', 'uuid', 'NO', 'gen_random_uuid()'],
  ['messages', 'conversation_id', 'uuid', 'NO', null],
  ['messages', 'role', 'character varying(20)', 'NO', null],
  ['messages', 'content', 'text', 'NO', null],
  ['messages', 'citations', 'jsonb', 'YES', null],
  ['messages', 'domains', 'text[]', 'YES', null],
  ['messages', 'feedback_score', 'smallint', 'YES', null],
  ['messages', 'input_tokens', 'integer', 'YES', null],
  ['messages', 'output_tokens', 'integer', 'YES', null],
  ['messages', 'cost_usd', 'numeric(12,6)', 'YES', null],
  ['messages', 'created_at', 'timestamp with time zone', 'NO', 'now()'],
  ['sessions', 'id', 'uuid', 'NO', 'gen_random_uuid()'],
  ['sessions', 'user_id', 'uuid', 'NO', null],
  ['sessions', 'expires_at', 'timestamp with time zone', 'NO', null],
  ['sessions', 'created_at', 'timestamp with time zone', 'NO', 'now()'],
  ['sessions', 'last_accessed_at', 'timestamp with time zone', 'NO', 'now()'],
  ['users', 'id', 'uuid', 'NO', 'gen_random_uuid()'],
  ['users', 'email', 'character varying(255)', 'NO', null],
  ['users', 'name', 'character varying(255)', 'NO', null],
  ['users', 'role', 'character varying(20)', 'NO', null],
  ['users', 'organization_id', 'uuid', 'YES', null],
  ['users', 'sso_provider', 'character varying(50)', 'YES', null],
  ['users', 'sso_id', 'character varying(255)', 'YES', null],
  ['users', 'created_at', 'timestamp with time zone', 'NO', 'now()'],
  ['users', 'last_login', 'timestamp with time zone', 'YES', null]
]

const CONTRACT_INDEXES = [
  'conversations_pkey', 'idx_conversations_share_token', 'idx_conversations_user', 'idx_messages_conversation',
  'idx_sessions_expires_at', 'idx_sessions_user_id', 'idx_users_email', 'messages_pkey', 'sessions_pkey',
  'uq_users_email', 'users_pkey'
]

// [table, constraint, type, definition fragment]
const CONTRACT_CONSTRAINTS: Array<[string, string, string, string]> = [
  ['users', 'check_user_role', 'c', "CHECK (((role)::text = ANY ((ARRAY['educator'::character varying, 'coach'::character varying, 'admin'::character varying])::text[])))"],
  ['users', 'uq_users_email', 'u', 'UNIQUE (email)'],
  ['conversations', 'check_conversation_status', 'c', "CHECK (((status)::text = ANY ((ARRAY['active'::character varying, 'archived'::character varying])::text[])))"],
  ['messages', 'check_message_role', 'c', "CHECK (((role)::text = ANY ((ARRAY['user'::character varying, 'assistant'::character varying, 'system'::character varying])::text[])))"],
  ['messages', 'check_message_feedback', 'c', 'CHECK ((feedback_score = ANY (ARRAY[\'-1\'::integer, 1])))'],
  ['messages', 'check_message_tokens', 'c', 'CHECK (((input_tokens >= 0) AND (output_tokens >= 0)))'],
  ['sessions', 'sessions_user_id_fkey', 'f', 'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE'],
  ['conversations', 'conversations_user_id_fkey', 'f', 'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE'],
  ['messages', 'messages_conversation_id_fkey', 'f', 'FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE']
]

const db = await freshDatabase(t, { migrated: false })
const client = new pg.Client({ connectionString: db.url })
await client.connect()
t.teardown(() => client.end())
const sequelize = sequelizeFor(t, db.url)
const migrator = new Migrator(sequelize)

async function ourTables (): Promise<string[]> {
  const { rows } = await client.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")
  return rows.map(r => r.table_name)
}

async function assertContract (t: Test): Promise<void> {
  const { rows: columns } = await client.query(`
    SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
           CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END AS nullable, pg_get_expr(d.adbin, d.adrelid) AS default
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND c.relname IN ('users','sessions','conversations','messages') AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum`)
  t.same(columns.map(c => [c.table, c.column, c.type, c.nullable, c.default]), CONTRACT_COLUMNS, 'every column, type, null rule and default')

  const { rows: indexes } = await client.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('users','sessions','conversations','messages') ORDER BY indexname")
  t.same(indexes.map(r => r.indexname), CONTRACT_INDEXES, 'exactly the contract indexes')

  const { rows: shareIndex } = await client.query("SELECT indexdef FROM pg_indexes WHERE indexname IN ('idx_conversations_share_token', 'idx_messages_conversation') ORDER BY indexname")
  t.match(shareIndex[0].indexdef, /CREATE UNIQUE INDEX idx_conversations_share_token ON public\.conversations USING btree \(share_token\)/)
  t.match(shareIndex[1].indexdef, /ON public\.messages USING btree \(conversation_id, created_at\)/)

  const { rows: constraints } = await client.query(`
    SELECT cl.relname AS table, co.conname AS name, co.contype AS type, pg_get_constraintdef(co.oid) AS def
    FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
    WHERE n.nspname = 'public' AND co.contype IN ('c', 'u', 'f')`)
  const byName = new Map(constraints.map(c => [c.name, [c.table, c.name, c.type, c.def]]))
  for (const expected of CONTRACT_CONSTRAINTS) t.same(byName.get(expected[1]), expected, `constraint ${expected[1]}`)
  t.equal(constraints.length, CONTRACT_CONSTRAINTS.length, 'no other check, unique or foreign key constraints')

  const { rows: pkeys } = await client.query("SELECT conname FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace AND conname <> 'schema_migrations_pkey' ORDER BY conname")
  t.same(pkeys.map(r => r.conname), ['conversations_pkey', 'messages_pkey', 'sessions_pkey', 'users_pkey'])

  const { rows: ext } = await client.query("SELECT extname FROM pg_extension WHERE extname = 'vector'")
  t.equal(ext.length, 1, 'the vector extension is installed')
}

t.test('up creates exactly the schema contract', async t => {
  const { applied } = await migrator.up()
  t.same(applied, ['20261123000000_initial_schema'])
  t.same(await ourTables(), ['conversations', 'messages', 'schema_migrations', 'sessions', 'users'])
  await assertContract(t)
  t.same(await migrator.pending(), [], 'nothing pending afterwards')
})

t.test('database defaults fill rows inserted with plain SQL', async t => {
  const { rows: [user] } = await client.query("INSERT INTO users (email, name, role) VALUES ('plain@example.com', 'Plain', 'coach') RETURNING *")
  t.match(user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUID v4 id')
  t.ok(user.created_at instanceof Date)
  const { rows: [conversation] } = await client.query('INSERT INTO conversations (user_id) VALUES ($1) RETURNING *', [user.id])
  t.equal(conversation.status, 'active')
  t.equal(conversation.share_enabled, false)
  await client.query('DELETE FROM users WHERE id = $1', [user.id])
})

t.test('down to the beginning leaves only the meta table; up restores everything', async t => {
  const reverted = await migrator.down({ to: 0 })
  t.same(reverted, ['20261123000000_initial_schema'])
  t.same(await ourTables(), ['schema_migrations'])
  const { rows } = await client.query('SELECT count(*)::int AS n FROM schema_migrations')
  t.equal(rows[0].n, 0, 'no applied migration left')
  const { rows: ext } = await client.query("SELECT extname FROM pg_extension WHERE extname = 'vector'")
  t.equal(ext.length, 1, 'down keeps the vector extension')

  await migrator.up()
  await assertContract(t)
  const status = await migrator.status()
  t.equal(status.length, 1)
  t.equal(status[0]?.state, 'applied')
  t.ok(status[0]?.executedAt instanceof Date)
})
