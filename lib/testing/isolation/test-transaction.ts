import type { Sequelize } from 'sequelize-typescript'
import { CoachDbError } from '../../errors.js'
import { destroyPoolConnection, releasePoolConnection, replacePool, takePoolConnection } from '../../connection/sequelize-internals.js'
import { sequelizeOf, type FixtureTarget } from '../../fixtures/target.js'
import { Mutex } from './mutex.js'
import { DEFAULT_TEST_TRANSACTION_WAIT_MS } from '../../defaults.js'
import { PinnedConnection, type PgConnection } from './pinned-connection.js'
import { createLease, type Lease } from './leases.js'

/** A test's transaction: {@link TestTransaction.rollback} undoes every write since it began. */
export interface TestTransaction {
  /** 1 for the outer test transaction, 2+ for nested ones (savepoints). */
  readonly depth: number
  /** Undoes every write made since `beginTestTransaction`. Safe to call twice. */
  rollback: () => Promise<void>
}

/** Options of {@link beginTestTransaction}. */
export interface BeginTestTransactionOptions {
  /**
   * How long an app transaction waits for another one to finish, in ms, before failing with
   * ERR_COACH_DB_TEST_TRANSACTION (default 5000). App transactions share the test's connection and
   * take turns; one started inside another without `{ transaction }` would otherwise wait forever.
   */
  transactionWaitMs?: number
}

interface Pin {
  pinned: PinnedConnection
  depth: number
}

const pins = new WeakMap<Sequelize, Pin>()

/**
 * Starts a transaction that every query of `db` joins, until `rollback()`: the Sequelize pool is
 * pinned to one connection inside `BEGIN`; the app's own transactions become savepoints; each
 * statement outside them gets a savepoint too, so a failing query behaves as in autocommit.
 * Calling it again before rolling back nests (a savepoint), for tap's nested subtests.
 */
export async function beginTestTransaction (db: FixtureTarget, options: BeginTestTransactionOptions = {}): Promise<TestTransaction> {
  const sequelize = sequelizeOf(db)
  const existing = pins.get(sequelize)
  if (existing !== undefined) return await nest(existing)
  const client = await takePoolConnection<PgConnection>(sequelize)
  const pinned = new PinnedConnection(client)
  try {
    await pinned.control('BEGIN')
  } catch (err) {
    releasePoolConnection(sequelize, client)
    throw err
  }
  const pin: Pin = { pinned, depth: 1 }
  pins.set(sequelize, pin)
  const restore = pinPool(sequelize, pinned, options.transactionWaitMs ?? DEFAULT_TEST_TRANSACTION_WAIT_MS)
  let done = false
  return {
    depth: 1,
    rollback: async () => {
      if (done) return
      done = true
      pins.delete(sequelize)
      restore()
      try {
        await pinned.control('ROLLBACK')
        releasePoolConnection(sequelize, client)
      } catch (err) {
        await destroyPoolConnection(sequelize, client).catch(() => {})
        throw new CoachDbError('ERR_COACH_DB_TEST_TRANSACTION', 'Rolling back the test transaction failed; the connection was discarded.', { cause: err })
      }
    }
  }
}

async function nest (pin: Pin): Promise<TestTransaction> {
  const depth = ++pin.depth
  const name = `"coach_test_${depth}"`
  await pin.pinned.control(`SAVEPOINT ${name}`)
  let done = false
  return {
    depth,
    rollback: async () => {
      if (done) return
      done = true
      pin.depth--
      await pin.pinned.control(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`)
    }
  }
}

/** Replaces the pool with leases on `pinned`; returns the function that puts the pool back. */
function pinPool (sequelize: Sequelize, pinned: PinnedConnection, transactionWaitMs: number): () => void {
  const slot = new Mutex()
  const waitError = (): Error => new CoachDbError('ERR_COACH_DB_TEST_TRANSACTION', `A transaction waited ${transactionWaitMs} ms for another one on the test connection. Under the test harness app transactions take turns on one connection; a transaction started inside another without passing { transaction } waits forever (as with pool.max = 1).`)
  const releaseLease = (connection: PgConnection): void => { (connection as PgConnection & Lease).release?.() }
  return replacePool<PgConnection>(sequelize, {
    getConnection: async (options) => {
      if (options?.uuid === undefined) return createLease(pinned, 'plain')
      const lease = createLease(pinned, 'transaction')
      lease.release = await slot.acquire(transactionWaitMs, waitError)
      return lease
    },
    releaseConnection: releaseLease,
    destroyConnection: async (connection) => { releaseLease(connection) }
  })
}
