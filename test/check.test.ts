import { fileTest } from './helpers/file-test.js'
import pg from 'pg'
import { createSequelize } from '../lib/connection/create-sequelize.js'
import { silentLogger } from '../lib/logger.js'
import { DEFAULT_POOL } from '../lib/options.js'
import { canonicalCheck, countSchema, diffSchemas, expectedSchema, normalizeSqlType, type SchemaShape, type TableShape } from '../lib/drift/index.js'
import { freshDatabase } from './helpers/app.js'
import { runCli } from './helpers/cli.js'

const t = fileTest()

async function execute (url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (const sql of statements) await client.query(sql)
  } finally {
    await client.end()
  }
}

const MATCHES = 'Database matches the models (4 tables, 33 columns, 11 indexes, 13 constraints).'

t.test('the shipped schema matches the models: exit 0', async t => {
  const db = await freshDatabase(t)
  const env = { DATABASE_URL: db.url }
  const run = await runCli(['check'], env)
  t.equal(run.code, 0)
  t.equal(run.out, MATCHES)
  t.equal(run.err, '')

  const json = await runCli(['check', '--json'], env)
  t.equal(json.code, 0)
  t.same(JSON.parse(json.out), { ok: true, differences: [], expected: { tables: 4, columns: 33, indexes: 11, constraints: 13 } })
})

t.test('a drifted database: each difference on its own line, exit 1', async t => {
  const db = await freshDatabase(t)
  const env = { DATABASE_URL: db.url }
  await execute(db.url, [
    'DROP INDEX idx_messages_conversation',
    'ALTER TABLE users ALTER COLUMN name TYPE text',
    'ALTER TABLE messages DROP COLUMN cost_usd',
    'ALTER TABLE messages DROP CONSTRAINT check_message_tokens'
  ])
  const run = await runCli(['check'], env)
  t.equal(run.code, 1)
  t.equal(run.out, [
    'users.name: type is text, models expect character varying(255)',
    'messages.cost_usd: column is missing (models expect numeric(12,6) NULL)',
    'messages: index idx_messages_conversation is missing (models expect btree (conversation_id, created_at))',
    'messages: constraint check_message_tokens is missing (models expect CHECK (input_tokens >= 0 AND output_tokens >= 0))',
    '4 differences between the models and the database.'
  ].join('\n'))

  const json = await runCli(['check', '--json'], env)
  t.equal(json.code, 1)
  const report = JSON.parse(json.out)
  t.equal(report.ok, false)
  t.same(report.differences.map((d: { kind: string, table: string, name: string }) => [d.kind, d.table, d.name]), [
    ['column-type', 'users', 'name'],
    ['missing-column', 'messages', 'cost_usd'],
    ['missing-index', 'messages', 'idx_messages_conversation'],
    ['missing-constraint', 'messages', 'check_message_tokens']
  ])
  t.match(report.differences[0], { expected: 'character varying(255)', actual: 'text', message: /^users\.name: type is text/ })

  t.test('more drift: NULL rule, changed index, extra index, changed CHECK and foreign key', async t => {
    await execute(db.url, [
      'ALTER TABLE users ALTER COLUMN sso_id SET NOT NULL',
      'DROP INDEX idx_users_email',
      'CREATE UNIQUE INDEX idx_users_email ON users (email, name)',
      'CREATE INDEX idx_messages_content ON messages (content)',
      'ALTER TABLE users DROP CONSTRAINT check_user_role',
      "ALTER TABLE users ADD CONSTRAINT check_user_role CHECK (role IN ('educator', 'coach', 'admin', 'root'))",
      'ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey',
      'ALTER TABLE sessions ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL'
    ])
    const run = await runCli(['check'], env)
    t.equal(run.code, 1)
    const lines = run.out.split('\n')
    t.ok(lines.includes('users.sso_id: column is NOT NULL, models expect NULL'))
    t.ok(lines.includes('users: index idx_users_email is UNIQUE btree (email, name), models expect btree (email)'))
    t.ok(lines.includes('messages: index idx_messages_content is not in the models (btree (content))'))
    t.match(run.out, /^users: constraint check_user_role is CHECK \(.*'root'.*\), models expect CHECK \(role IN \('educator', 'coach', 'admin'\)\)$/m)
    t.ok(lines.includes('sessions: constraint sessions_user_id_fkey is FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL, models expect FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE'))
    t.equal(lines.at(-1), '9 differences between the models and the database.')
  })
})

t.test('an unmigrated database: every table missing, exit 1', async t => {
  const db = await freshDatabase(t, { migrated: false })
  const run = await runCli(['check'], { DATABASE_URL: db.url })
  t.equal(run.code, 1)
  t.equal(run.out, [
    'users: table is missing',
    'sessions: table is missing',
    'conversations: table is missing',
    'messages: table is missing',
    '4 differences between the models and the database. Missing tables: run "coach-db status" to see pending migrations.'
  ].join('\n'))
})

t.test('--help, usage errors and failures', async t => {
  const help = await runCli(['check', '--help'], {})
  t.equal(help.code, 0)
  t.match(help.out, /^Usage: coach-db check \[--json\]/)
  t.match(help.out, /Exit codes: 0 the database matches the models, 1 it differs/)
  t.match((await runCli(['--help'], {})).out, /^ {2}check +compare the models with the live database/m)

  const extra = await runCli(['check', 'users'], {})
  t.equal(extra.code, 2)
  t.equal(extra.err, 'coach-db check: unexpected argument "users". Usage: coach-db check [--json]')

  const noDb = await runCli(['check'], {})
  t.equal(noDb.code, 1)
  t.match(noDb.err, /^coach-db check: No database configured\./)
})

t.test('diffSchemas and the shape the models describe (no database)', async t => {
  const sequelize = createSequelize({ target: { host: '127.0.0.1', port: 1, database: 'none', user: 'none', ssl: false }, password: undefined, pool: DEFAULT_POOL, log: silentLogger() })
  t.teardown(async () => { await sequelize.close() })
  const expected = expectedSchema(sequelize)
  t.same(countSchema(expected), { tables: 4, columns: 33, indexes: 11, constraints: 13 })
  t.same(diffSchemas(expected, expected), [], 'a schema does not differ from itself')

  const conversations = expected.tables.find(table => table.name === 'conversations') as TableShape
  t.match(conversations.indexes.find(index => index.name === 'idx_conversations_share_token'), { unique: true, columns: ['share_token'], constraint: null }, 'a unique index, not a constraint')
  t.same(conversations.constraints.map(c => c.name), ['conversations_pkey', 'conversations_user_id_fkey', 'check_conversation_status'])

  // Dropping the UNIQUE constraint also drops its index: one difference, not two.
  const users = expected.tables[0] as TableShape
  const withoutUnique: SchemaShape = {
    tables: [{ ...users, indexes: users.indexes.filter(i => i.name !== 'uq_users_email'), constraints: users.constraints.filter(c => c.name !== 'uq_users_email') }]
  }
  t.same(diffSchemas({ tables: [users] }, withoutUnique).map(d => d.message), ['users: constraint uq_users_email is missing (models expect UNIQUE (email))'])

  t.equal(canonicalCheck("CHECK (((role)::text = ANY ((ARRAY['user'::character varying, 'system'::character varying])::text[])))"), canonicalCheck("CHECK (role IN ('user', 'system'))"))
  t.equal(canonicalCheck("CHECK ((feedback_score = ANY (ARRAY['-1'::integer, 1])))"), canonicalCheck('CHECK (feedback_score IN (-1, 1))'))
  t.not(canonicalCheck("CHECK (role IN ('user'))"), canonicalCheck("CHECK (role IN ('user', 'root'))"))
  t.same(['VARCHAR(255)', 'DECIMAL(12,6)', 'TEXT[]', 'TIMESTAMP WITH TIME ZONE', 'UUID'].map(normalizeSqlType),
    ['character varying(255)', 'numeric(12,6)', 'text[]', 'timestamp with time zone', 'uuid'])
})
