// The TypeScript loader of the test processes (package.json `tap.node-arg`): tsx (esbuild, a few
// ms per file) instead of tap's ts-node plugin (the TypeScript compiler in every test process).
//
// Coverage: tsx puts the sources into its inline source maps only when NODE_V8_COVERAGE is set;
// otherwise it writes `sourcesContent: [null]`, which tap's report reads as an empty file, so the
// file counts 100 % covered whenever that map is the one the report picks. Two fixes:
// - in this process, the hook in ts-loader-source-maps.mjs drops the empty field, so the report
//   reads the sources from disk (cheaper than NODE_V8_COVERAGE here, which makes Node write a
//   second, 2 MB coverage file per process);
// - child processes (the CLI bin, `node --import tsx example/server.ts`, …) load tsx by their own means, so they
//   get NODE_V8_COVERAGE: a directory of this process's, removed when it exits. Spawns that build
//   their env from scratch pass it on through `childEnv` (test/helpers/cli.ts).
import 'tsx'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import module from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tsxOutput, withoutEmptySources } from './ts-loader-source-maps.mjs'

// Hook in where tsx hooks in: module.registerHooks (this thread) on the Node versions whose sync
// hooks tsx trusts, module.register (a loader thread) before them. Registering both gave each
// test process on Node 24 a loader thread it did not need: 0.1 to 0.35 s of CPU (README).
// The versions are tsx 4.23's own table (its dist/temporary-directory-*.mjs); test/ts-loader.test.ts
// fails if tsx stops hooking in here the way this file picks.
const [major, minor, patch] = process.versions.node.split('.').map(Number)
const syncHooksFrom = { 22: [22, 3], 24: [11, 1], 25: [1, 0] }
const from = syncHooksFrom[major]
const tsxInThread = typeof module.registerHooks === 'function' &&
  (major >= 26 || (from !== undefined && (minor > from[0] || (minor === from[0] && patch >= from[1]))))
const state = { inThread: tsxInThread, seen: 0 }
globalThis[Symbol.for('coach-db.ts-loader')] = state
if (tsxInThread) {
  module.registerHooks({
    load: (url, context, nextLoad) => {
      const result = nextLoad(url, context)
      const output = tsxOutput(url, result)
      if (output !== undefined) state.seen++
      return withoutEmptySources(result, output)
    }
  })
} else {
  module.register('./ts-loader-source-maps.mjs', import.meta.url)
}

if (process.env._TAPJS_PROCESSINFO_COVERAGE_ === '1' && process.env.NODE_V8_COVERAGE === undefined) {
  // Worker threads write their file after 'exit' has run, so a directory can come back: sweep
  // what earlier runs left (older than an hour) as well.
  const root = join(tmpdir(), 'coach-db-child-coverage')
  mkdirSync(root, { recursive: true })
  for (const entry of readdirSync(root)) {
    const path = join(root, entry)
    try { if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true }) } catch {}
  }
  const dir = mkdtempSync(join(root, 'run-'))
  process.env.NODE_V8_COVERAGE = dir
  process.once('exit', () => { rmSync(dir, { recursive: true, force: true }) })
}
