import type { FixtureTarget } from '../../fixtures/target.js'
import { beginTestTransaction, type BeginTestTransactionOptions, type TestTransaction } from './test-transaction.js'

/** The hooks {@link isolateEachTest} needs; tap's `t` has them. */
export interface EachTestHooks {
  beforeEach: (fn: () => Promise<void>) => unknown
  afterEach: (fn: () => Promise<void>) => unknown
}

/**
 * Wraps every subtest of `t` in a test transaction: each starts from the state the file set up
 * (migrated schema, fixtures) and everything it wrote, through `app.inject` or directly, is rolled
 * back after it. `db` may be a function, for an app built later. Nested subtests nest.
 */
export function isolateEachTest (t: EachTestHooks, db: FixtureTarget | (() => FixtureTarget), options: BeginTestTransactionOptions = {}): void {
  const open: TestTransaction[] = []
  t.beforeEach(async () => {
    open.push(await beginTestTransaction(typeof db === 'function' ? db() : db, options))
  })
  t.afterEach(async () => {
    await open.pop()?.rollback()
  })
}
