import { fileTest } from './helpers/file-test.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildApp } from './helpers/app.js'
import { needsPrivateCluster } from './helpers/engine.js'
import { startPrivateCluster } from './helpers/private-cluster.js'

const t = fileTest()

// A server that really goes away: the shared test server cannot be stopped, a private one can.
t.test('the server is stopped and restarted under load: the service recovers without a restart', needsPrivateCluster('a server to stop and restart'), async t => {
  const cluster = await startPrivateCluster(t, { ssl: false })
  await cluster.adminQuery('CREATE DATABASE coach')
  const app = await buildApp(t, { connectionString: cluster.urlFor('coach'), migrate: true, pool: { max: 4, acquire: 2_000 } }, false, app => {
    app.get('/users/count', async () => ({ count: await app.db.models.User.count() }))
  })
  const outcomes: Array<{ at: number, status: number }> = []
  let stop = false
  const traffic = Promise.all(Array.from({ length: 4 }, async () => {
    while (!stop) {
      outcomes.push({ at: Date.now(), status: (await app.inject('/users/count')).statusCode })
      await sleep(5)
    }
  }))
  await sleep(300)
  await cluster.stop('immediate')
  await sleep(1_000)
  await cluster.start()
  const restartedAt = Date.now()
  // Counted from the first success after the restart (plus 500 ms for connections that were open
  // across it), not from the clock: on a busy machine reconnecting takes longer than on a quiet one.
  const settled = (): number | undefined => outcomes.find(o => o.at > restartedAt && o.status === 200)?.at
  const recovered = (): typeof outcomes => { const from = settled(); return from === undefined ? [] : outcomes.filter(o => o.at > from + 500) }
  for (const deadline = Date.now() + 20_000; Date.now() < deadline && recovered().length <= 20;) await sleep(50)
  stop = true
  await traffic
  t.pass('every request settled: none hung while the server was down')
  t.ok(outcomes.some(o => o.status !== 200), 'requests failed while the server was down')
  t.ok(recovered().length > 20, 'traffic went on after the restart')
  t.same([...new Set(recovered().map(o => o.status))], [200], 'and succeeds again, with the same app')
  const body = (await app.inject('/users/count')).json()
  t.same(body, { count: 0 })
})
