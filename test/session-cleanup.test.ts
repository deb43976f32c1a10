import { fileTest } from './helpers/file-test.js'
import pg from 'pg'
import { OptionsError, runSessionCleanup, SESSION_CLEANUP_LOCK } from '../lib/index.js'
import { buildApp, freshDatabase, registrationError } from './helpers/app.js'
import { needsServer } from './helpers/engine.js'
import { queryRows } from './helpers/pg.js'
import { captureLogs } from './helpers/log-capture.js'

const t = fileTest()

const database = await freshDatabase(t)
const [owner] = await queryRows<{ id: string }>(database.url, "INSERT INTO users (email, name, role) VALUES ('sessions@example.test', 'Owner', 'coach') RETURNING id")
const userId = owner!.id

async function resetSessions (expired: number, live: number): Promise<void> {
  await queryRows(database.url, 'DELETE FROM sessions')
  await queryRows(database.url, "INSERT INTO sessions (user_id, expires_at) SELECT $1, now() - interval '1 minute' - g * interval '1 second' FROM generate_series(1, $2::int) g", [userId, expired])
  await queryRows(database.url, "INSERT INTO sessions (user_id, expires_at) SELECT $1, now() + interval '1 day' + g * interval '1 second' FROM generate_series(1, $2::int) g", [userId, live])
}

async function counts (): Promise<{ expired: number, live: number }> {
  const [row] = await queryRows<{ expired: number, live: number }>(database.url, 'SELECT count(*) FILTER (WHERE expires_at < now())::int AS expired, count(*) FILTER (WHERE expires_at >= now())::int AS live FROM sessions')
  return row!
}

const config = { intervalMs: 60_000, batchSize: 1000, maxBatchesPerRun: 1000 }

t.test('Session.purgeExpired deletes expired sessions in batches and keeps live ones', async t => {
  const app = await buildApp(t, { connectionString: database.url })
  const { Session } = app.db.models
  await resetSessions(2_500, 10)
  t.same(await Session.purgeExpired({ batchSize: 1_000 }), { deleted: 2_500, batches: 3 })
  t.same(await counts(), { expired: 0, live: 10 })
  t.same(await Session.purgeExpired({ batchSize: 1_000 }), { deleted: 0, batches: 1 }, 'nothing left: one empty batch')
  await resetSessions(300, 0)
  t.same(await Session.purgeExpired({ batchSize: 100, maxBatches: 2 }), { deleted: 200, batches: 2 }, 'maxBatches bounds a run')
  t.same(await Session.purgeExpired(), { deleted: 100, batches: 1 }, 'default batchSize 1000')
  await t.rejects(Session.purgeExpired({ batchSize: 0 }), RangeError)
  await t.rejects(Session.purgeExpired({ maxBatches: 1.5 }), RangeError)
})

t.test('the batch walks idx_sessions_expires_at', async t => {
  await resetSessions(50_000, 50_000)
  await queryRows(database.url, 'ANALYZE sessions')
  const plan = await queryRows<{ 'QUERY PLAN': string }>(database.url, 'EXPLAIN SELECT id FROM sessions WHERE expires_at < now() ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED')
  t.match(plan.map(r => r['QUERY PLAN']).join('\n'), /Index Scan using idx_sessions_expires_at on sessions/)
  await queryRows(database.url, 'DELETE FROM sessions')
})

t.test('rows another transaction has locked are skipped, not waited for', needsServer('two sessions at once'), async t => {
  const app = await buildApp(t, { connectionString: database.url })
  await resetSessions(5, 0)
  const holder = new pg.Client({ connectionString: database.url })
  await holder.connect()
  t.teardown(async () => { await holder.end() })
  await holder.query('BEGIN')
  await holder.query('SELECT id FROM sessions ORDER BY expires_at LIMIT 1 FOR UPDATE')
  t.same(await app.db.models.Session.purgeExpired({ batchSize: 2 }), { deleted: 4, batches: 3 }, 'the locked one is left')
  await holder.query('COMMIT')
  t.same(await app.db.models.Session.purgeExpired({ batchSize: 2 }), { deleted: 1, batches: 1 })
})

t.test('one replica at a time: a run that does not get the advisory lock skips', needsServer('two sessions at once'), async t => {
  const app = await buildApp(t, { connectionString: database.url })
  await resetSessions(30, 1)
  const other = new pg.Client({ connectionString: database.url })
  await other.connect()
  t.teardown(async () => { await other.end() })
  await other.query('BEGIN')
  await other.query('SELECT pg_advisory_xact_lock(hashtext($1))', [SESSION_CLEANUP_LOCK])
  t.same(await runSessionCleanup(app.db.sequelize, app.db.models.Session, { ...config, batchSize: 10 }), { deleted: 0, batches: 0, skipped: true })
  t.same(await counts(), { expired: 30, live: 1 })
  await other.query('COMMIT')
  t.same(await runSessionCleanup(app.db.sequelize, app.db.models.Session, { ...config, batchSize: 10 }), { deleted: 30, batches: 3, skipped: false })
  t.same(await counts(), { expired: 0, live: 1 })
})

t.test('sessionCleanup runs in the background, logs what it removed, and stops on app.close()', async t => {
  await resetSessions(250, 3)
  const logs = captureLogs('info')
  let removed!: () => void
  const sawRemoval = new Promise<void>(resolve => { removed = resolve })
  const write = logs.logger.stream.write
  logs.logger.stream.write = (line: string) => {
    write(line)
    if (line.includes('expired session')) removed()
  }
  const app = await buildApp(t, { connectionString: database.url, sessionCleanup: { intervalMs: 10, batchSize: 100 } }, logs.logger)
  await sawRemoval
  const line = JSON.parse(logs.lines.find(l => l.includes('expired session'))!)
  t.match(line, { level: 30, deleted: 250, batches: 3, msg: 'fastify-coach-db: removed 250 expired session(s) in 3 batch(es)' })
  t.same(await counts(), { expired: 0, live: 3 })
  await app.close()
  t.notMatch(logs.text(), /session cleanup failed/, 'closing while a run may be in progress logs no failure')
})

t.test('options are checked', async t => {
  for (const [sessionCleanup, message] of [
    ['often', /"sessionCleanup" must be an object, true or false/],
    [{ intervalMs: 0 }, /"sessionCleanup.intervalMs" must be a whole number >= 1/],
    [{ batchSize: 2.5 }, /"sessionCleanup.batchSize" must be a whole number >= 1/],
    [{ every: 5 }, /Unknown option "sessionCleanup.every"/]
  ] as const) {
    const err = await registrationError({ connectionString: 'postgres://u@127.0.0.1:1/x', sessionCleanup })
    t.type(err, OptionsError)
    t.match(err.message, message)
  }
})
