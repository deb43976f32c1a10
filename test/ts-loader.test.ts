import { fileTest } from './helpers/file-test.js'

const t = fileTest()

// test/helpers/ts-loader.mjs hooks in where it expects tsx to (this thread or a loader thread),
// from tsx's own table of Node versions. If tsx moved, the coverage fix would silently stop
// applying: the report would read the TypeScript sources as empty files, 100 % covered.
const state = (globalThis as Record<symbol, unknown>)[Symbol.for('coach-db.ts-loader')] as { inThread: boolean, seen: number } | undefined

t.test('the source-map hook sees what tsx compiles', async t => {
  t.ok(state, 'the test process was started with test/helpers/ts-loader.mjs')
  if (state?.inThread !== true) {
    t.comment(`Node ${process.versions.node}: tsx and the hook run in a loader thread`)
    return
  }
  // This file and its imports were compiled by tsx before the test ran.
  t.ok(state.seen > 0, `the in-thread hook saw tsx's output (${state.seen} files)`)
})

t.test('test processes load TypeScript through tsx alone, not also through tap\'s ts-node plugin', async t => {
  // A first run after `npm ci` used to add @tapjs/typescript (tap rebuilt itself only after
  // computing the loaders): the same file then compiled differently in test processes and in the
  // CLI children, and the coverage report mixed their source maps (scripts/tap-plugins.mjs).
  t.notMatch(process.execArgv.join(' '), /@tapjs\/typescript/)
})
