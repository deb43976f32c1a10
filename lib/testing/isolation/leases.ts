import type { PgConnection, PinnedConnection } from './pinned-connection.js'
import { CoachDbError } from '../../errors.js'

/** What Sequelize gets instead of a pool connection while a test transaction is active. */
export interface Lease {
  kind: 'plain' | 'transaction'
  /** Set on transaction leases: hands the transaction slot to the next waiting transaction. */
  release?: () => void
}

type Callback = (err: Error | null, result?: unknown) => void

// Sequelize's own transaction statements (abstract query-generator/transaction.js).
const START = /^START TRANSACTION;?$/i
const COMMIT = /^COMMIT;?$/i
const ROLLBACK = /^ROLLBACK;?$/i
const SET_ISOLATION = /^SET TRANSACTION ISOLATION LEVEL /i
const TRANSACTION_CONTROL = /^\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT)\b(?!\s+TO\b)/i

let transactions = 0

/**
 * A stand-in for the pinned pg client: reads fall through to it (prototype), `query` goes through
 * the {@link PinnedConnection} queue. Sequelize writes `uuid` on it, which stays on the lease.
 */
export function createLease (pinned: PinnedConnection, kind: Lease['kind']): PgConnection & Lease {
  const lease = Object.create(pinned.client) as PgConnection & Lease
  lease.kind = kind
  const savepoint = `"coach_tx_${++transactions}"`
  const run = kind === 'plain'
    ? async (sql: string, values?: unknown[]) => await runPlain(pinned, sql, values)
    : async (sql: string, values?: unknown[]) => await runInTransaction(pinned, savepoint, sql, values)
  Object.defineProperty(lease, 'query', {
    value: (sql: unknown, valuesOrCallback?: unknown, callback?: Callback) => {
      const values = Array.isArray(valuesOrCallback) ? valuesOrCallback : undefined
      const done = (typeof valuesOrCallback === 'function' ? valuesOrCallback : callback) as Callback | undefined
      const promise = typeof sql === 'string' ? run(sql, values) : Promise.reject(new TypeError('the test transaction supports SQL text queries only'))
      if (done === undefined) return promise
      promise.then(result => { done(null, result) }, (err: Error) => { done(err) })
      return undefined
    }
  })
  return lease
}

async function runPlain (pinned: PinnedConnection, sql: string, values: unknown[] | undefined): Promise<unknown> {
  if (TRANSACTION_CONTROL.test(sql)) {
    throw new CoachDbError('ERR_COACH_DB_TEST_TRANSACTION', `"${sql.trim().slice(0, 40)}" would end the test's transaction and keep this test's writes. Use sequelize.transaction() in the app instead of raw BEGIN/COMMIT.`)
  }
  return await pinned.autonomous(sql, values)
}

// A top-level app transaction becomes a savepoint of the test's transaction: its COMMIT releases
// the savepoint (the writes stay visible until the test rolls back), its ROLLBACK undoes only it.
async function runInTransaction (pinned: PinnedConnection, savepoint: string, sql: string, values: unknown[] | undefined): Promise<unknown> {
  const text = sql.trim()
  if (START.test(text)) return await pinned.inTransaction(`SAVEPOINT ${savepoint}`, undefined)
  if (COMMIT.test(text)) return await pinned.inTransaction(`RELEASE SAVEPOINT ${savepoint}`, undefined)
  if (ROLLBACK.test(text)) return await pinned.inTransaction(`ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`, undefined)
  // The isolation level can only be set at the start of the real transaction, long gone.
  if (SET_ISOLATION.test(text)) return await pinned.inTransaction('SELECT NULL WHERE false', undefined)
  return await pinned.inTransaction(sql, values)
}
