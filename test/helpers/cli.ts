import { main, type CliIo } from '../../lib/cli/main.js'

/** What one `coach-db` run printed and returned. */
export interface CliRun { code: number, out: string, err: string }

/**
 * Runs `coach-db <args>` in-process with its own output and environment. With `cwd` it runs in
 * that directory, the process's own cwd for the time of the command: only for the files that
 * test/helpers/shared-runner.ts runs alone.
 */
export async function runCli (args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: line => { out.push(line) }, err: line => { err.push(line) }, env }
  const before = process.cwd()
  if (cwd !== undefined) process.chdir(cwd)
  try {
    const code = await main(args, io)
    return { code, out: out.join('\n'), err: err.join('\n') }
  } finally {
    process.chdir(before)
  }
}

const BIN = new URL('../../bin/coach-db.js', import.meta.url).pathname

/**
 * The environment of a child process that gets only `env` (and PATH), plus NODE_V8_COVERAGE when
 * the suite measures coverage: without it the child's tsx writes source maps that tap's coverage
 * report misreads (see test/helpers/ts-loader.mjs).
 */
export function childEnv (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const coverage = process.env.NODE_V8_COVERAGE
  return { PATH: process.env.PATH, ...(coverage !== undefined ? { NODE_V8_COVERAGE: coverage } : {}), ...env }
}

/** Runs the `coach-db` bin as a user would: a child process with its own cwd and environment. */
export async function runBin (args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliRun> {
  const { spawn } = await import('node:child_process')
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const code = await new Promise<number>(resolve => child.on('close', (c: number | null) => { resolve(c ?? 1) }))
  return { code, out: out.trimEnd(), err: err.trimEnd() }
}
