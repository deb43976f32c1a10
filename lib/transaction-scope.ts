import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks'
import { Sequelize as BaseSequelize, type Transaction, type TransactionOptions } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { CoachDbError } from './errors.js'
import { installedClsNamespace } from './connection/sequelize-internals.js'

/**
 * One async context's transactions: Sequelize's managed `sequelize.transaction(cb)` and our
 * request transactions each open a frame; a lookup walks outwards from the innermost one.
 */
interface Frame {
  readonly parent: Frame | undefined
  /** The transaction each Sequelize instance opened in this frame (there may be several apps). */
  readonly transactions: Map<unknown, Transaction>
  readonly values: Map<string, unknown>
}

const frames = new AsyncLocalStorage<Frame>()

/**
 * The namespace handed to `Sequelize.useCLS`. Sequelize's class-level CLS is process-wide: every
 * Sequelize instance in the process, whichever app it belongs to, asks the same namespace
 * `get('transaction')` without saying who asks. Answering with "the" transaction would let app
 * B's queries run on app A's connection (or an unrelated Sequelize join a request transaction).
 * So `get('transaction')` answers nothing; instead each instance the plugin manages looks up its
 * *own* transaction in the frame ({@link joinRequestTransactions}). What Sequelize still does
 * through this namespace: `run` gives each managed `sequelize.transaction(cb)` a frame of its own,
 * and `set('transaction', t)` records `t` in that frame, under `t.sequelize`.
 */
export const transactionNamespace = Object.freeze({
  /** Runs `fn` in a new frame nested in the current one (cls-hooked's `run`). */
  run<T> (fn: (frame: Frame) => T): T {
    const frame: Frame = { parent: frames.getStore(), transactions: new Map(), values: new Map() }
    return frames.run(frame, () => fn(frame))
  },
  /** Binds `fn` to the current frame (cls-hooked's `bind`). */
  bind<F extends (...args: any[]) => unknown> (fn: F): F {
    return AsyncResource.bind(fn) as unknown as F
  },
  get (key: string): unknown {
    if (key === 'transaction') return undefined
    for (let frame = frames.getStore(); frame !== undefined; frame = frame.parent) {
      if (frame.values.has(key)) return frame.values.get(key)
    }
    return undefined
  },
  set (key: string, value: unknown): unknown {
    const frame = frames.getStore()
    if (frame === undefined) return value
    if (key !== 'transaction') {
      frame.values.set(key, value)
    } else if (isTransaction(value)) {
      frame.transactions.set(value.sequelize, value)
    } else {
      // Sequelize clears with set('transaction', null) when its get() returned the one ending;
      // ours never does, and finished transactions are skipped by the lookup instead.
    }
    return value
  }
})

/** Sequelize's Transaction has `sequelize`; its typings do not say so. */
type OwnedTransaction = Transaction & { sequelize: unknown, finished?: string }

function isTransaction (value: unknown): value is OwnedTransaction {
  return typeof value === 'object' && value !== null && 'sequelize' in value && 'commit' in value
}

/**
 * Installs {@link transactionNamespace} as Sequelize's CLS namespace, once per process. Another
 * namespace already installed (cls-hooked, say) is left alone and refused: two would fight over
 * which one Sequelize asks.
 */
export function installTransactionNamespace (): void {
  const current = installedClsNamespace()
  if (current === transactionNamespace) return
  if (current !== undefined && current !== null) {
    throw new CoachDbError('ERR_COACH_DB_CLS_IN_USE', 'Request transactions need fastify-coach-db\'s own CLS namespace, but Sequelize.useCLS() was already called with another one (cls-hooked?). Remove that call: the plugin\'s namespace is built on AsyncLocalStorage and joins model calls to the request transaction by itself.')
  }
  BaseSequelize.useCLS(transactionNamespace)
}

/** The innermost unfinished transaction `sequelize` opened in the current async context. */
export function currentTransaction (sequelize: unknown): Transaction | undefined {
  for (let frame = frames.getStore(); frame !== undefined; frame = frame.parent) {
    const transaction = frame.transactions.get(sequelize) as OwnedTransaction | undefined
    if (transaction !== undefined && transaction.finished === undefined) return transaction
  }
  return undefined
}

/**
 * Runs `fn` in a new frame where `transaction` is the current one for its Sequelize. The frame is
 * the async context of everything `fn` starts, and only of that.
 */
export function runInTransaction<T> (transaction: Transaction, fn: () => T): T {
  return transactionNamespace.run(frame => {
    frame.transactions.set((transaction as OwnedTransaction).sequelize, transaction)
    return fn()
  })
}

const joined = new WeakSet<object>()

type QueryFn = (sql: unknown, options?: { transaction?: Transaction | null }) => Promise<unknown>
type TransactionFn = (options?: TransactionOptions | ((t: Transaction) => unknown), autoCallback?: (t: Transaction) => unknown) => Promise<unknown>

/**
 * Makes `sequelize` join the transaction of the current async context (a request transaction or
 * a managed `sequelize.transaction(cb)`) whenever a call does not say `{ transaction }`:
 * - `sequelize.query`, which every model call ends in, runs on that transaction's connection;
 * - `sequelize.transaction()` opens a savepoint in it instead of a second connection (so
 *   `findOrCreate` and nested transactions stay inside the request and cannot deadlock the pool).
 * `{ transaction: null }` still means "outside any transaction". Other Sequelize instances in the
 * process are not affected. Idempotent.
 */
export function joinRequestTransactions (sequelize: Sequelize): void {
  if (joined.has(sequelize)) return
  joined.add(sequelize)
  const target = sequelize as unknown as { query: QueryFn, transaction: TransactionFn }
  const query = target.query.bind(sequelize)
  const transaction = target.transaction.bind(sequelize)
  target.query = async (sql, options) => {
    if (options?.transaction !== undefined) return await query(sql, options)
    const current = currentTransaction(sequelize)
    return await query(sql, current === undefined ? options : { ...options, transaction: current })
  }
  target.transaction = async (options, autoCallback) => {
    if (typeof options === 'function') { autoCallback = options; options = undefined }
    const current = options?.transaction === undefined ? currentTransaction(sequelize) : undefined
    const effective = current === undefined ? options : { ...options, transaction: current }
    return autoCallback === undefined ? await transaction(effective) : await transaction(effective, autoCallback)
  }
}
