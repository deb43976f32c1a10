import { fileTest } from '../helpers/file-test.js'
import pg from 'pg'
import { createEmbeddedTestDatabase, testEngine } from '../../lib/testing/embedded-database.js'

const t = fileTest()

// The fallback `npm test` uses on a machine without PostgreSQL.
t.test('a migrated embedded test database with the fixtures', async t => {
  const db = await createEmbeddedTestDatabase({ fixtures: true })
  t.teardown(db.drop)
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  t.teardown(() => client.end())
  const { rows } = await client.query('SELECT (SELECT count(*)::int FROM schema_migrations) AS migrations, (SELECT count(*)::int FROM users) AS users')
  t.equal(rows[0].migrations, 1)
  t.ok(rows[0].users > 0, 'fixtures loaded')
})

t.test('which engine the suite runs on', async t => {
  t.equal(await testEngine({ COACH_DB_TEST_ENGINE: 'pglite' }), 'pglite')
  t.equal(await testEngine({ TEST_DATABASE_URL: 'postgres://u@db:5432/x' }), 'postgres', 'an explicit server is never replaced')
  t.match(await testEngine({}), /^(postgres|pglite)$/)
})
