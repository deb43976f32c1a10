// Every test file's `t`: tap's root when the file runs as a process of its own (`npx tap
// test/x.test.ts`, or a file package.json's `tap.include` names), else the subtest that a batch
// (test/helpers/shared-runner.ts) opened for the file. Sharing a process saves each file the
// start-up of node, tsx, tap and the package (about 1.3 s of CPU), which was most of `npm test`.
import tap, { type Test } from 'tap'

interface Loan { t: Test, taken: boolean, onTaken: () => void }
let lent: Loan | undefined

/** The file's `t`. Call it once, at the top of a test file. */
export function fileTest (): Test {
  const loan = lent
  if (loan === undefined) return tap
  lent = undefined
  loan.taken = true
  loan.onTaken()
  return loan.t
}

/**
 * Runs `load` (the import of one test file) with `t` as the `t` that file's {@link fileTest}
 * returns. Imports start one at a time, each once the one before has taken its `t` (or ended):
 * a file whose top level goes on (awaits its set-up, runs its tests there) holds no one up.
 */
export async function lendTo (t: Test, load: () => Promise<unknown>): Promise<void> {
  const loan: Loan = { t, taken: false, onTaken: () => {} }
  let loading: Promise<unknown> = Promise.resolve()
  const turn = queue.then(async () => {
    const taken = new Promise<void>(resolve => { loan.onTaken = resolve })
    lent = loan
    loading = load()
    await Promise.race([taken, loading.then(() => {}, () => {})])
    if (lent === loan) lent = undefined
  })
  queue = turn
  await turn
  await loading
  if (!loan.taken) throw new Error('the file never called fileTest(): it cannot share a process; name it in package.json tap.include')
}
let queue: Promise<void> = Promise.resolve()
