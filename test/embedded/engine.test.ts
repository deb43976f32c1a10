import { fileTest } from '../helpers/file-test.js'
import pg from 'pg'
import { connect } from 'node:net'
import { Sequelize } from 'sequelize'
import { startEmbedded, WAIT_FAILURE_SQLSTATE } from '../../lib/engine/index.js'
import { silentLogger } from '../../lib/logger.js'

const t = fileTest()

// One engine for the whole file: a PGlite start costs about a second (several without the
// initdb snapshot). A short idle-in-transaction wait keeps the deadlock test fast; 1 s, not less,
// because another file of the batch starting PGlite blocks this process's event loop ~0.35 s.
const engine = await startEmbedded('pglite://memory', silentLogger(), { idleInTransactionWaitMs: 1_000, listen: true })
t.teardown(engine.close)
t.comment(`embedded PGlite started in ${engine.startupMs} ms`)

const pool = new pg.Pool({ connectionString: engine.connectionString, max: 5 })
t.teardown(() => pool.end())
await pool.query('CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)')

t.test('listens on a free loopback port and speaks PostgreSQL', async t => {
  t.match(engine.connectionString, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/)
  const { rows } = await pool.query('SELECT version() AS v')
  t.match(rows[0].v, /PGlite/)
})

t.test('many connections, many concurrent statements: every answer goes to its own query', async t => {
  // Two different statements with different parameters: interleaved Parse/Bind would mix them up.
  const answers = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const sql = i % 2 === 0 ? 'SELECT $1::int AS n, $2::text AS s' : 'SELECT $2::text AS s, $1::int AS n, 0 AS pad'
    const { rows } = await pool.query(sql, [i, `s${i}`])
    return rows[0].n === i && rows[0].s === `s${i}`
  }))
  t.equal(answers.filter(Boolean).length, 200)
  t.ok(engine.stats().connections >= 2, 'the pool really opened several connections')
})

t.test('a transaction keeps the session: other connections wait, then see only committed rows', async t => {
  const a = await pool.connect()
  const b = await pool.connect()
  t.teardown(() => { a.release(); b.release() })
  await a.query('BEGIN')
  await a.query("INSERT INTO items VALUES (1, 'uncommitted')")
  let seen: number | undefined
  const outside = b.query('SELECT count(*)::int AS n FROM items').then(r => { seen = r.rows[0].n })
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(seen, undefined, 'the other connection waits while the transaction is open')
  t.equal(engine.stats().waiting, 1)
  await a.query("INSERT INTO items VALUES (2, 'also')")
  await a.query('ROLLBACK')
  await outside
  t.equal(seen, 0, 'it never saw the rolled-back rows')
})

t.test('Sequelize: a transaction plus concurrent queries, no deadlock', async t => {
  const sequelize = new Sequelize(engine.connectionString, { logging: false, pool: { max: 10 } })
  t.teardown(() => sequelize.close())
  const outside: Array<Promise<unknown>> = []
  await sequelize.transaction(async transaction => {
    await sequelize.query("INSERT INTO items VALUES (10, 'in tx')", { transaction })
    // Started, not awaited: they run after the commit.
    for (let i = 0; i < 5; i++) outside.push(sequelize.query('SELECT count(*)::int AS n FROM items', { plain: true }))
    await sequelize.query("INSERT INTO items VALUES (11, 'in tx')", { transaction })
  })
  const counts = await Promise.all(outside) as Array<{ n: number }>
  t.same(counts.map(c => c.n), [2, 2, 2, 2, 2], 'each saw the committed transaction')
})

t.test('awaiting an outside query inside a transaction fails with our own error, not a hang and not 40P01', async t => {
  const sequelize = new Sequelize(engine.connectionString, { logging: false, pool: { max: 3 } })
  t.teardown(() => sequelize.close())
  const started = Date.now()
  await sequelize.transaction(async transaction => {
    await sequelize.query("INSERT INTO items VALUES (20, 'kept')", { transaction })
    const err = await sequelize.query('SELECT count(*) FROM items').then(() => undefined, (e: unknown) => e) as { parent?: { code?: string, message?: string } }
    // Not 40P01 "deadlock detected": that is in the transaction-rollback class, which retry logic
    // retries, yet nothing was rolled back. 55P03 (lock_not_available) plus our code in the text.
    t.equal(err?.parent?.code, '55P03')
    t.equal(WAIT_FAILURE_SQLSTATE, '55P03')
    t.match(err?.parent?.message, /^ERR_COACH_DB_EMBEDDED_SESSION_BUSY: .*one session.*pass \{ transaction \}/)
    // The transaction itself is untouched and still commits.
    await sequelize.query("INSERT INTO items VALUES (21, 'kept')", { transaction })
  })
  t.ok(Date.now() - started < 10_000, 'failed after the configured wait (1 s), not the pool timeout (60 s)')
  const { rows } = await pool.query('SELECT id FROM items WHERE id >= 20 ORDER BY id')
  t.same(rows.map(r => r.id), [20, 21])
})

t.test('the engine answers nothing itself: SELECT 1 waits for another connection\'s transaction like any statement', async t => {
  const a = await pool.connect()
  const b = await pool.connect()
  t.teardown(() => { a.release(); b.release() })
  const order: string[] = []
  await a.query('BEGIN')
  const ping = b.query('SELECT 1').then(({ rows }) => { order.push('SELECT 1'); return rows })
  await a.query("INSERT INTO items VALUES (40, 'before the ping')")
  await a.query('COMMIT').then(() => { order.push('COMMIT') })
  t.same(await ping, [{ '?column?': 1 }])
  t.same(order, ['COMMIT', 'SELECT 1'], 'PGlite ran it after the transaction ended')
})

t.test('a connection that drops inside a transaction is rolled back; the others go on', async t => {
  const client = new pg.Client({ connectionString: engine.connectionString })
  client.on('error', () => {}) // its own socket is killed below
  await client.connect()
  await client.query('BEGIN')
  await client.query("INSERT INTO items VALUES (30, 'lost')")
  const waiting = pool.query('SELECT count(*)::int AS n FROM items WHERE id = 30')
  // Kill the socket without a Terminate message, as a crashed process would.
  ;(client as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy()
  const { rows } = await waiting
  t.equal(rows[0].n, 0)
})

t.test('not PostgreSQL on the socket: that connection is closed, the engine keeps serving', async t => {
  await new Promise<void>((resolve) => {
    const socket = connect(Number(new URL(engine.connectionString).port), '127.0.0.1', () => { socket.write('GET / HTTP/1.1\r\n\r\n') })
    socket.on('close', () => { resolve() })
    socket.on('error', () => {})
  })
  const { rows } = await pool.query('SELECT 2 AS two')
  t.equal(rows[0].two, 2)
})

t.test('close stops the socket server and PGlite', async t => {
  const other = await startEmbedded('pglite://memory', silentLogger(), { listen: true })
  const port = Number(new URL(other.connectionString).port)
  await other.close()
  await other.close()
  t.equal(other.pglite.closed, true)
  const refused = await new Promise<string | undefined>(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.on('connect', () => { socket.destroy(); resolve(undefined) })
    socket.on('error', (err: NodeJS.ErrnoException) => { resolve(err.code) })
  })
  t.equal(refused, 'ECONNREFUSED')
})

t.test('without listen there is no TCP port: connections are in-process streams (pg `stream`)', async t => {
  const quiet = await startEmbedded('pglite://memory', silentLogger())
  t.teardown(quiet.close)
  t.equal(quiet.port, undefined)
  t.equal(quiet.connectionString, 'postgres://postgres@pglite.in-process/postgres')
  const local = new pg.Pool({ connectionString: quiet.connectionString, stream: quiet.stream, max: 4 })
  t.teardown(() => local.end())
  // Concurrent statements and a transaction over several in-process connections.
  const client = await local.connect()
  await client.query('BEGIN')
  await client.query('CREATE TABLE t (n int)')
  const outside = Promise.all([1, 2, 3].map(async n => (await local.query('SELECT count(*)::int AS c FROM pg_class WHERE relname = $1', [`t${n}`])).rows[0].c))
  await client.query('INSERT INTO t VALUES (1)')
  await client.query('COMMIT')
  client.release()
  t.same(await outside, [0, 0, 0])
  t.same((await local.query('SELECT n FROM t')).rows, [{ n: 1 }])
  t.ok(quiet.stats().connections >= 2)
})
