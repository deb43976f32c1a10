import { fileTest } from './helpers/file-test.js'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freshDatabase } from './helpers/app.js'
import { childEnv, runCli } from './helpers/cli.js'

const t = fileTest()

const BIN = fileURLToPath(new URL('../bin/coach-db.js', import.meta.url))

const db = await freshDatabase(t, { migrated: false })
const env = { PATH: process.env.PATH, DATABASE_URL: db.url }

// `coach-db <args> | head -0`: the reader is gone before the command writes its first line.
async function intoClosedPipe (args: string[]): Promise<{ code: number | null, err: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.destroy()
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, err }
}

t.test('every command exits quietly when its reader goes away (EPIPE)', async t => {
  for (const args of [['plan'], ['--help'], ['up'], ['status', '--json']]) {
    const run = await intoClosedPipe(args)
    t.equal(run.err, '', `coach-db ${args.join(' ')}: nothing on stderr`)
    t.equal(run.code, 0, `coach-db ${args.join(' ')}: exit code of the command itself`)
  }
  const status = await runCli(['status', '--json'], env)
  t.match(JSON.parse(status.out), [{ name: '20261123000000_initial_schema', state: 'applied' }], 'up ran to the end although nobody read its output')
})

t.test('every command that prints data has --json', async t => {
  const plan = await runCli(['down', '--to', '0', '--yes', '--json'], env)
  t.same(JSON.parse(plan.out), { reverted: ['20261123000000_initial_schema'] })
  const planned = JSON.parse((await runCli(['plan', '--json'], env)).out)
  t.match(planned, [{ name: '20261123000000_initial_schema', previewable: true, sql: Array }])
  t.same(JSON.parse((await runCli(['up', '--json'], env)).out), { applied: ['20261123000000_initial_schema'], skipped: false })
  t.same(JSON.parse((await runCli(['up', '--json'], env)).out), { applied: [], skipped: false })
  t.same(JSON.parse((await runCli(['plan', '--json'], env)).out), [])
  const seeded = JSON.parse((await runCli(['seed', '--json'], env)).out)
  t.match(seeded, { database: String, emptied: null, seeded: { users: Number, sessions: Number, conversations: Number, messages: Number } })
})
