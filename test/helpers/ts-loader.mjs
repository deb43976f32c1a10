// The TypeScript loader of the test processes (package.json `tap.node-arg`): tsx (esbuild, a few
// ms per file) instead of tap's ts-node plugin (the TypeScript compiler in every test process).
//
// Coverage: tsx puts the sources into its inline source maps only when NODE_V8_COVERAGE is set;
// otherwise it writes `sourcesContent: [null]`, which tap's report reads as an empty file, so the
// file counts 100 % covered whenever that map is the one the report picks. Two fixes:
// - in this process, the hook in ts-loader-source-maps.mjs drops the empty field, so the report
//   reads the sources from disk (cheaper than NODE_V8_COVERAGE here, which makes Node write a
//   second, 2 MB coverage file per process);
// - child processes (the CLI bin, `tsx example/server.ts`, …) load tsx by their own means, so they
//   get NODE_V8_COVERAGE: a directory of this process's, removed when it exits. Spawns that build
//   their env from scratch pass it on through `childEnv` (test/helpers/cli.ts).
import 'tsx'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import module from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withoutEmptySources } from './ts-loader-source-maps.mjs'

// tsx hooks in with module.registerHooks where Node has it (in-thread), module.register before
// that (a loader thread): hook in both ways, the one that does not see tsx's output does nothing.
module.register('./ts-loader-source-maps.mjs', import.meta.url)
if (typeof module.registerHooks === 'function') {
  module.registerHooks({ load: (url, context, nextLoad) => withoutEmptySources(url, nextLoad(url, context)) })
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
