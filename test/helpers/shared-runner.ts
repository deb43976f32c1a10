// Runs the test files that share a process: every test/**/*.test.ts that package.json's
// `tap.include` does not name (those need a process of their own: they assert what a fresh
// process loads, or are the README's example verbatim). tap starts each `test/batch-N.test.ts`
// as a process; the batches take files from one list as they go, so they end together.
//
// Most files only touch their own database and their own apps, so they run together, `jobs` at a
// time. The files in ALONE change what the whole process shares (process.env, the clock, the
// cwd, Sequelize's class-level CLS): they run first, one at a time with nothing else in the
// process, and process.env and the cwd are put back after each.
import tap, { type Test } from 'tap'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { lendTo } from './file-test.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

export const ALONE = new Set([
  'test/cli-create.test.ts', // process.chdir into a scratch app
  'test/credentials/iam-front.test.ts', // replaces Date; AWS keys in process.env
  'test/credentials/secret-cache.test.ts', // AWS settings in process.env (fake-secrets-manager)
  'test/credentials/secret-errors.test.ts',
  'test/credentials/sources.test.ts',
  'test/credentials/stalled-endpoint.test.ts',
  'test/options-env.test.ts', // the plugin's settings from process.env
  'test/plugin.test.ts',
  'test/rotation.test.ts',
  'test/sequelize-internals.test.ts', // installs a CLS namespace on the Sequelize class
  'test/startup-timeout.test.ts',
  'test/tls.test.ts' // PGSSLROOTCERT
])

// Started first so that no batch is left with one of them at the end: files of 10 s and more
// (child processes, PGlite boots, a private cluster), longest first.
export const LONG = [
  'test/embedded/directory-lock.test.ts',
  'test/cli-pipe.test.ts',
  'test/example-server.test.ts',
  'test/embedded/engine.test.ts',
  'test/embedded/declarations.test.ts',
  'test/migration-down.test.ts',
  'test/cli.test.ts',
  'test/embedded/directory.test.ts',
  'test/reliability.test.ts',
  'test/credentials/private-cluster.test.ts',
  'test/read-replicas.test.ts'
]

/** The files that share processes, relative to the package root: ALONE's, then LONG's, then the rest. */
export function sharedFiles (): string[] {
  const include: string[] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).tap.include
  const files: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) walk(path)
      else if (path.endsWith('.test.ts') && !include.some(pattern => matches(pattern, path))) files.push(path)
    }
  }
  walk('test')
  const rank = (file: string): number => ALONE.has(file) ? 0 : LONG.includes(file) ? 1 + LONG.indexOf(file) : 1 + LONG.length
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

// The glob shapes tap.include uses here: a path, or a `*` within its last segment.
function matches (pattern: string, path: string): boolean {
  const [head, tail] = pattern.split('*')
  if (tail === undefined) return pattern === path
  return path.startsWith(head) && path.endsWith(tail) && !path.slice(head.length, path.length - tail.length).includes('/')
}

/**
 * Who runs which file. The batches of one tap run claim files in a directory named for that run:
 * tap's pid and start time (from /proc; tap gives its test processes no id of the run). A parent
 * that starts the same batch again (a shell, an editor) gets a new generation of that directory.
 * Without /proc, batch `index` of `count` takes every count-th file.
 */
function claimer (files: readonly string[], index: number, count: number): { claim: (file: string) => boolean, dynamic: boolean } {
  const run = runId()
  if (run === undefined) {
    const mine = new Set(files.filter((_, position) => position % count === index))
    return { claim: file => mine.has(file), dynamic: false }
  }
  const base = join(tmpdir(), 'coach-db-batches')
  mkdirSync(base, { recursive: true })
  for (const entry of readdirSync(base)) {
    try { if (Date.now() - statSync(join(base, entry)).mtimeMs > 86_400_000) rmSync(join(base, entry), { recursive: true, force: true }) } catch {}
  }
  const made = (path: string): boolean => {
    try {
      mkdirSync(path)
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw err
    }
  }
  let dir = ''
  for (let generation = 0; dir === ''; generation++) {
    const candidate = join(base, `${run}-${generation}`)
    mkdirSync(candidate, { recursive: true })
    if (made(join(candidate, `batch-${index}`))) dir = candidate
  }
  return { claim: file => made(join(dir, encodeURIComponent(file))), dynamic: true }
}

function runId (): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, after the parenthesised command name: the start time.
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8')
    return `${process.ppid}-${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`
  } catch {
    return undefined
  }
}

/**
 * Runs the files this batch claims: the ALONE ones one at a time, then the rest `jobs` at a time,
 * then any ALONE file still unclaimed. The ALONE files mostly wait (timeouts, TTLs): when the
 * batches share one list, the last batch leaves them to the others and starts on the rest at
 * once, which keeps the cores busy.
 */
export function runBatch (index: number, count: number, jobs: number): void {
  const files = sharedFiles()
  const { claim, dynamic } = claimer(files, index, count)
  const next = (alone: boolean): string | undefined => {
    for (;;) {
      const position = files.findIndex(file => ALONE.has(file) === alone)
      if (position === -1) return undefined
      const [file] = files.splice(position, 1) as [string]
      if (claim(file)) return file
    }
  }
  // tap's timeout (package.json, seconds) bounds each file; the process gets five times that (a
  // whole run takes under two minutes), so a handle a file leaks cannot keep a batch alive long.
  const perFile = Number(process.env.TAP_TIMEOUT ?? 120) * 1000
  tap.setTimeout(perFile * 5)
  tap.jobs = 1
  const alone = async (t: Test): Promise<void> => {
    for (let file = next(true); file !== undefined; file = next(true)) {
      const env = { ...process.env }
      const cwd = process.cwd()
      await t.test(file, { timeout: perFile }, async t => { await load(t, file) })
      for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name]
      Object.assign(process.env, env)
      process.chdir(cwd)
    }
  }
  if (!dynamic || index < count - 1) tap.test('files that change what the process shares, one at a time', alone)
  tap.test('files that run together', { jobs }, async t => {
    await Promise.all(Array.from({ length: jobs }, async () => {
      for (let file = next(false); file !== undefined; file = next(false)) {
        await t.test(file, { timeout: perFile }, async t => { await load(t, file) })
      }
    }))
  })
  tap.test('files that change what the process shares, those left', alone)
}

async function load (t: Test, file: string): Promise<void> {
  await lendTo(t, async () => await import(pathToFileURL(join(root, file)).href))
}
