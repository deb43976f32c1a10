// Every test file's `t`: tap's root when the file runs as a process of its own (`npx tap
// test/x.test.ts`, or a file package.json's `tap.include` names), else the subtest that a shared
// runner (test/shared.test.ts) opened for the file. Sharing a process saves each file the start-up
// of node, tsx, tap and the package (about 1.3 s of CPU), which was most of `npm test`'s time.
import tap, { type Test } from 'tap'

let lent: Test | undefined

/** The file's `t`. Call it once, at the top of a test file. */
export function fileTest (): Test {
  const t = lent ?? tap
  lent = undefined
  return t
}

/**
 * Runs `load` (the import of one test file) with `t` as the `t` that file's {@link fileTest}
 * returns. Imports run one at a time so that each file takes the subtest meant for it.
 */
export async function lendTo (t: Test, load: () => Promise<unknown>): Promise<void> {
  const turn = queue.then(async () => {
    lent = t
    try {
      await load()
      if (lent !== undefined) throw new Error('the file never called fileTest(): it cannot share a process; name it in package.json tap.include')
    } finally {
      lent = undefined
    }
  })
  queue = turn.catch(() => {})
  await turn
}
let queue: Promise<void> = Promise.resolve()
