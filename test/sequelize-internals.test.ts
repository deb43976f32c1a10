import { fileTest } from './helpers/file-test.js'
import { Sequelize as BaseSequelize } from 'sequelize'
import { Sequelize } from 'sequelize-typescript'
import { CoachDbError } from '../lib/errors.js'
import { checkSequelizeInternals, explainAcquireFailures, installedClsNamespace, sequelizeVersion } from '../lib/connection/sequelize-internals.js'
import { createSequelize } from '../lib/connection/create-sequelize.js'
import { silentLogger } from '../lib/logger.js'
import { beginTestTransaction } from '../lib/testing/index.js'

const t = fileTest()

// The private Sequelize surface lib/connection/sequelize-internals.ts relies on. None of these
// tests opens a connection: the check runs before anything is sent.

const pool = { max: 2, min: 0, acquire: 1_000, idle: 1_000 }
const target = { host: '127.0.0.1', port: 5432, database: 'coach_internals_unused', user: 'postgres', ssl: false }

function plainSequelize (): Sequelize {
  return new Sequelize({ dialect: 'postgres', host: target.host, port: target.port, database: target.database, username: target.user, logging: false, ...({ databaseVersion: '15.0.0' } as object) })
}

/** A Sequelize whose connection manager lacks `method` (as after a refactor in Sequelize). */
function withoutManagerMethod (method: string): Sequelize {
  const sequelize = plainSequelize()
  // An own property shadows the prototype's method on this instance only.
  Object.defineProperty(sequelize.connectionManager, method, { value: undefined, configurable: true, writable: true })
  return sequelize
}

t.test('the installed Sequelize passes the check, and the plugin builds on it', async t => {
  t.match(sequelizeVersion(), /^6\.\d+\.\d+/)
  const sequelize = plainSequelize()
  t.teardown(async () => { await sequelize.close() })
  t.doesNotThrow(() => { checkSequelizeInternals(sequelize) })
  const ours = createSequelize({ target, pool, log: silentLogger() })
  t.teardown(async () => { await ours.close() })
  t.doesNotThrow(() => { checkSequelizeInternals(ours) })
})

t.test('another Sequelize major is refused with an error naming both versions', async t => {
  const sequelize = plainSequelize()
  t.teardown(async () => { await sequelize.close() })
  const err = t.throws(() => { checkSequelizeInternals(sequelize, '7.0.0-alpha.40') }) as CoachDbError
  t.ok(err instanceof CoachDbError)
  t.equal(err.code, 'ERR_COACH_DB_SEQUELIZE_VERSION')
  t.match(err.message, 'Sequelize 7.0.0-alpha.40 is installed')
  t.match(err.message, 'supports Sequelize 6.x')
  t.match(err.message, 'npm install sequelize@6')
})

for (const method of ['getConnection', 'releaseConnection', 'destroyConnection']) {
  t.test(`a Sequelize without connectionManager.${method} is refused at start-up, naming the version`, async t => {
    const sequelize = withoutManagerMethod(method)
    t.teardown(async () => { await sequelize.close() })
    const expected = { code: 'ERR_COACH_DB_SEQUELIZE_VERSION', message: `Sequelize ${sequelizeVersion()} is installed and has no connectionManager.${method}` }
    t.throws(() => { checkSequelizeInternals(sequelize) }, expected)
    // What createSequelize runs on every instance it builds.
    t.throws(() => { explainAcquireFailures(sequelize, pool) }, expected)
  })
}

t.test('test isolation on a Sequelize without the pool methods fails with the same clear error, before connecting', async t => {
  const sequelize = withoutManagerMethod('getConnection')
  t.teardown(async () => { await sequelize.close() })
  await t.rejects(beginTestTransaction(sequelize), { code: 'ERR_COACH_DB_SEQUELIZE_VERSION', message: /has no connectionManager\.getConnection/ })
})

t.test('the CLS namespace Sequelize uses is read from the one place', async t => {
  const before = installedClsNamespace()
  const namespace = { get () {}, set () {}, run (fn: () => unknown) { return fn() }, bind<F> (fn: F) { return fn } }
  Sequelize.useCLS(namespace)
  // useCLS writes Sequelize's base class (sequelize-typescript's extends it): put it back there.
  t.teardown(() => { (BaseSequelize as unknown as { _cls: unknown })._cls = before })
  t.equal(installedClsNamespace(), namespace)
})
