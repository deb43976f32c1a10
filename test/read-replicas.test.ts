import { fileTest } from './helpers/file-test.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { QueryTypes } from 'sequelize'
import { hasPostgresBinaries } from './helpers/engine.js'
import { startPrivateCluster, type PrivateCluster } from './helpers/private-cluster.js'
import { startStreamingReplica, type StreamingReplica } from './helpers/topology.js'
import { buildApp } from './helpers/app.js'
import { captureLogs } from './helpers/log-capture.js'
import { resolveOptions } from '../lib/options.js'

const t = fileTest()

// A real streaming replica (pg_basebackup -R, hot standby) of a private cluster: reads go to it,
// writes and transactions to the primary, and losing it under read traffic fails no request.
const skip = hasPostgresBinaries ? false : 'needs the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup)'
let cluster: PrivateCluster
let replica: StreamingReplica

t.before(async () => {
  if (skip !== false) return
  cluster = await startPrivateCluster(t, { ssl: false })
  await cluster.adminQuery('CREATE DATABASE coach')
  replica = await startStreamingReplica(t, cluster)
})

const inRecovery = 'SELECT pg_is_in_recovery() AS standby'

t.test('reads run on the replica; writes, transactions and useMaster on the primary', { skip }, async t => {
  const app = await buildApp(t, { connectionString: cluster.urlFor('coach'), readReplicas: [replica.urlFor('coach')], migrate: true })
  const { sequelize, models } = app.db
  t.same(await sequelize.query(inRecovery, { type: QueryTypes.SELECT }), [{ standby: true }], 'a SELECT runs on the replica')
  t.same(await sequelize.query(inRecovery, { type: QueryTypes.SELECT, useMaster: true }), [{ standby: false }], 'useMaster: true reads the primary')
  t.same(await sequelize.transaction(async transaction => await sequelize.query(inRecovery, { type: QueryTypes.SELECT, transaction })), [{ standby: false }], 'a transaction runs on the primary')
  const user = await models.User.create({ email: 'replica@example.org', name: 'R', role: 'coach' } as never)
  t.ok(user.get('id'), 'a write succeeds (it went to the primary: the replica is read-only)')
  await replica.catchUp()
  t.equal(await models.User.count(), 1, 'a model read on the replica sees the replicated row')
  const [{ n }] = await cluster.adminQuery<{ n: string }>('SELECT count(*) AS n FROM schema_migrations', [], 'coach')
  t.ok(Number(n) > 0, 'migrations ran on the primary')
  const health = await app.db.health()
  t.match(health.replicas, [{ node: `127.0.0.1:${replica.port}`, reachable: true, inRecovery: true }], 'health() reports the replica')
  t.type(health.replicas?.[0].lagSeconds, 'number', `replication lag reported: ${String(health.replicas?.[0].lagSeconds)} s`)
})

t.test('a request transaction runs all its reads and writes on the primary; a plain read route reads the replica', { skip }, async t => {
  const where = 'SELECT pg_is_in_recovery() AS standby, inet_server_port() AS port'
  const app = await buildApp(t, { connectionString: cluster.urlFor('coach'), readReplicas: [replica.urlFor('coach')], migrate: true }, false, app => {
    const { sequelize, models } = app.db
    app.post('/in-transaction', { config: { transaction: true } }, async () => {
      const before = await sequelize.query<{ standby: boolean, port: number }>(where, { type: QueryTypes.SELECT })
      const user = await models.User.create({ email: 'in-tx@example.org', name: 'T', role: 'coach' } as never)
      // A model read of the row just written: only the primary, inside this transaction, has it.
      const own = await models.User.findOne({ where: { email: 'in-tx@example.org' }, attributes: ['id', [sequelize.fn('pg_is_in_recovery'), 'standby']], raw: true }) as { id: number, standby: boolean } | null
      const count = await models.User.count({ where: { email: 'in-tx@example.org' } })
      const after = await sequelize.query<{ standby: boolean, port: number }>(where, { type: QueryTypes.SELECT })
      return { before: before[0], after: after[0], ownRead: own, created: user.get('id'), count }
    })
    app.get('/plain-read', async () => (await sequelize.query<{ standby: boolean, port: number }>(where, { type: QueryTypes.SELECT }))[0])
  })
  const tx = await app.inject({ method: 'POST', url: '/in-transaction' })
  t.equal(tx.statusCode, 200, tx.body)
  const body = tx.json<{ before: { standby: boolean, port: number }, after: { standby: boolean, port: number }, ownRead: { id: number, standby: boolean } | null, created: number, count: number }>()
  t.same(body.before, { standby: false, port: cluster.port }, 'a raw SELECT inside the request transaction runs on the primary')
  t.same(body.after, { standby: false, port: cluster.port }, 'after the write too')
  t.same(body.ownRead, { id: body.created, standby: false }, 'a model read inside it sees its own uncommitted write, on the primary')
  t.equal(body.count, 1, 'a model count inside it too')
  const read = await app.inject({ method: 'GET', url: '/plain-read' })
  t.same(read.json(), { standby: true, port: replica.port }, 'a route without a transaction reads the replica')
})

t.test('killing the replica under read traffic fails no request; reads come back after it returns', { skip }, async t => {
  const log = captureLogs('warn')
  const app = await buildApp(t, { connectionString: cluster.urlFor('coach'), readReplicas: [`127.0.0.1:${replica.port}`], pool: { max: 8, idle: 1000 } }, log.logger)
  const { sequelize } = app.db
  let stop = false
  let reads = 0
  const failures: unknown[] = []
  const workers = Array.from({ length: 8 }, async () => {
    while (!stop) {
      try {
        await sequelize.query('SELECT count(*) FROM users', { type: QueryTypes.SELECT })
        reads++
      } catch (err) {
        failures.push(err)
      }
    }
  })
  while (reads < 200) await sleep(10)
  await replica.stop('immediate')
  const atKill = reads
  while (reads < atKill + 500) await sleep(10)
  stop = true
  await Promise.all(workers)
  t.equal(failures.length, 0, `${reads} reads, ${failures.length} failed ${failures.length > 0 ? String(failures[0]) : ''}`)
  t.same(await sequelize.query(inRecovery, { type: QueryTypes.SELECT }), [{ standby: false }], 'with the replica down, reads run on the primary')
  t.match(log.text(), /read replica .* unreachable|re-running the read/, 'the move is logged')
  const down = await app.db.health()
  t.match(down.replicas, [{ reachable: false }], 'health() reports the replica down')
  t.equal(down.ready, true, 'a replica down does not make the service unready')

  await replica.start()
  // Idle read connections (opened on the primary meanwhile) close after pool.idle; new ones reach the replica.
  let back = false
  // What this waits for is the replica; a query that fails meanwhile (on a busy machine a login
  // can outlast connectTimeoutMs while the replica replays WAL) is asked again.
  for (let i = 0; i < 100 && !back; i++) {
    await sleep(200)
    const rows = await sequelize.query<{ standby: boolean }>(inRecovery, { type: QueryTypes.SELECT }).catch(() => [])
    back = rows[0]?.standby === true
  }
  t.ok(back, 'reads return to the replica once it is back')
})

t.test('readReplicas accepts URLs, host:port and DATABASE_REPLICA_URLS', async t => {
  t.same(resolveOptions({ connectionString: 'postgres://u@p/db', readReplicas: ['postgres://u:pw@r1.example:6432/db', 'r2.example'] }).readReplicas, [{ host: 'r1.example', port: 6432 }, { host: 'r2.example', port: 5432 }])
  t.same(resolveOptions({ connectionString: 'postgres://u@p/db' }, { DATABASE_REPLICA_URLS: 'r1:5433, r2' }).readReplicas, [{ host: 'r1', port: 5433 }, { host: 'r2', port: 5432 }])
})
