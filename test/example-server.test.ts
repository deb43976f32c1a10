import { fileTest } from './helpers/file-test.js'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LOCK_FILE } from '../lib/engine/data-directory.js'

const t = fileTest()

// `npm start` end to end, as a process: starts on an embedded directory, prints the URL and curl
// lines, serves, and exits 0 on SIGTERM/SIGINT after closing PGlite (its lock file is gone).
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const START = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start

// package.json's start script, run without a shell so that the child is what npm would run.
function startCommand (): [string, string[]] {
  const [command, ...args] = START.split(' ') as [string, ...string[]]
  return [command === 'node' ? process.execPath : join(ROOT, 'node_modules', '.bin', command), args]
}

interface Started { url: string, pid: number | undefined, output: () => string, exit: Promise<number | null>, kill: (signal: NodeJS.Signals) => void }

async function startServer (dataDir: string): Promise<Started> {
  const [command, args] = startCommand()
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: `pglite://${dataDir}`, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exit = new Promise<number | null>(resolve => { child.on('exit', code => { resolve(code) }) })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no banner within 60 s:\n${output}`)) }, 60_000)
    child.stdout.on('data', () => {
      // The banner is written directly, the log lines by pino, which may flush later: wait for
      // pino's own "Server listening" too, so every log line before it is in the output.
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match !== null && /Server listening at/.test(output)) { clearTimeout(timer); resolve(match[1] as string) }
    })
    void exit.then(code => { clearTimeout(timer); reject(new Error(`exited with ${code}:\n${output}`)) })
  })
  return { url, pid: child.pid, output: () => output, exit, kill: (signal) => { child.kill(signal) } }
}

t.test('npm start on an embedded directory: demo data, routes, clean exit, restart', async t => {
  const dataDir = join(t.testdir(), 'data')
  const first = await startServer(dataDir)
  t.match(first.output(), /empty database: loaded the demo fixtures/)
  t.match(first.output(), /curl -s http:\/\/127\.0\.0\.1:\d+\/health/)
  const health = await fetch(`${first.url}/health`)
  t.equal(health.status, 200)
  const shared = /curl -s (http:\S+\/shared\/\S+)/.exec(first.output())
  t.ok(shared, 'a shared link is among the curl lines')
  t.equal((await fetch(shared![1]!)).status, 200, 'and it works')
  // The tsx CLI runs the server as a child of its own and, when the child does not confirm a
  // signal within 30 ms (a busy machine), SIGKILLs it: PGlite never closes, the exit code is 143.
  t.match(first.output(), new RegExp(`"pid":${first.pid ?? 'none'},`), 'the process npm start runs is the server itself, no relay in between')
  first.kill('SIGTERM')
  t.equal(await first.exit, 0, 'SIGTERM: exit code 0')
  t.match(first.output(), /"signal":"SIGTERM".*shutting down/)
  t.notOk(existsSync(join(dataDir, LOCK_FILE)), 'PGlite closed: lock file removed')

  const second = await startServer(dataDir)
  t.notMatch(second.output(), /loaded the demo fixtures/, 'data kept: nothing loaded again')
  t.notMatch(second.output(), /applied 1 migration/, 'migration state kept')
  t.equal((await fetch(`${second.url}/health`)).status, 200)
  second.kill('SIGINT')
  t.equal(await second.exit, 0, 'SIGINT: exit code 0')
})
