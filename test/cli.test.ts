import { fileTest } from './helpers/file-test.js'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { tmpdir } from 'node:os'
import { freshDatabase } from './helpers/app.js'
import { runCli } from './helpers/cli.js'
import { tableNames } from './helpers/pg.js'

const t = fileTest()

const BIN = fileURLToPath(new URL('../bin/coach-db.js', import.meta.url))

const db = await freshDatabase(t, { migrated: false })
const env = { DATABASE_URL: db.url }

t.test('up, status, down --to 0 --yes round trip', async t => {
  const up = await runCli(['up'], env)
  t.equal(up.code, 0)
  t.equal(up.out, 'applied  20261123000000_initial_schema')
  t.same(await tableNames(db.url), ['conversations', 'messages', 'schema_migrations', 'sessions', 'users'])

  const again = await runCli(['up'], env)
  t.equal(again.out, 'Nothing to apply: the database is up to date.')

  const status = await runCli(['status'], env)
  t.equal(status.code, 0)
  t.match(status.out, /^applied  20261123000000_initial_schema  \d{4}-\d\d-\d\dT[\d:.]+Z  \(\d+ ms\)\n1 applied, 0 pending$/)

  const json = await runCli(['status', '--json'], env)
  t.match(JSON.parse(json.out), [{ name: '20261123000000_initial_schema', state: 'applied' }])

  const refused = await runCli(['down', '--to', '0'], env)
  t.equal(refused.code, 2, 'a revert to the beginning needs --yes')
  t.match(refused.err, /DROPS the users, sessions, conversations and messages tables and ALL THEIR DATA.*--yes/)
  t.same(await tableNames(db.url), ['conversations', 'messages', 'schema_migrations', 'sessions', 'users'], 'nothing was reverted')

  const down = await runCli(['down', '--to', '0', '--yes'], env)
  t.equal(down.code, 0)
  t.equal(down.out, 'reverted 20261123000000_initial_schema')
  t.same(await tableNames(db.url), ['schema_migrations'])

  const pending = await runCli(['status'], env)
  t.equal(pending.out, 'pending  20261123000000_initial_schema\n0 applied, 1 pending')

  await runCli(['up'], env)
  const oneStep = await runCli(['down'], env)
  t.equal(oneStep.out, 'reverted 20261123000000_initial_schema', 'down reverts one step')
})

t.test('usage errors exit 2 with a one-line reason', async t => {
  const none = await runCli([], env)
  t.equal(none.code, 2)
  t.match(none.out, /Usage: coach-db <command>/)
  const unknown = await runCli(['migrate'], env)
  t.equal(unknown.code, 2)
  t.equal(unknown.err, 'coach-db: unknown command "migrate". Run "coach-db --help" for the list.')
  const badFlag = await runCli(['up', '--force'], env)
  t.equal(badFlag.code, 2)
  t.match(badFlag.err, /^coach-db up: Unknown option '--force'.*Usage: coach-db up/)
  const badStep = await runCli(['down', '--step', 'two'], env)
  t.equal(badStep.code, 2)
  t.equal(badStep.err, 'coach-db down: --step must be a whole number >= 1 (got "two")')
})

t.test('--help lists the commands and exits 0', async t => {
  const help = await runCli(['--help'], env)
  t.equal(help.code, 0)
  for (const command of ['up', 'down', 'status']) t.match(help.out, new RegExp(`^  ${command} `, 'm'))
  const downHelp = await runCli(['down', '--help'], env)
  t.match(downHelp.out, /Usage: coach-db down \[--step N \| --to NAME \| --to 0 --yes\]/)
})

t.test('failures exit 1 with one line and no password', async t => {
  const noDb = await runCli(['status'], {})
  t.equal(noDb.code, 1)
  t.match(noDb.err, /^coach-db status: No database configured\..*\[ERR_COACH_DB_OPTIONS\]$/)
  const refused = await runCli(['up'], { DATABASE_URL: 'postgres://app:pa55word@127.0.0.1:1/x' })
  t.equal(refused.code, 1)
  t.equal(refused.err.split('\n').length, 1, 'one line')
  t.match(refused.err, /127\.0\.0\.1:1/)
  t.notMatch(refused.err, /pa55word/)
})

t.test('the installed bin runs from a fresh checkout without a build step, from any directory', async t => {
  const run = await promisify(execFile)(process.execPath, [BIN, 'status'], { cwd: tmpdir(), env: { ...process.env, DATABASE_URL: db.url } })
  t.match(run.stdout, /applied  20261123000000_initial_schema|pending  20261123000000_initial_schema/)
})
