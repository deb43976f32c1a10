import { fileTest } from '../helpers/file-test.js'
import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { startEmbedded } from '../../lib/engine/index.js'
import { silentLogger } from '../../lib/logger.js'

const t = fileTest()

// Two real processes on one data directory, the way two `npm start`s would meet: a child holds it,
// this test process comes second. Each round uses a new directory but the same snapshot folder, so
// the second round starts from the snapshot the first one saved: a lock copied through the
// snapshot would let the second process in.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHILD = fileURLToPath(new URL('./hold-directory.ts', import.meta.url))

interface Holder { answer: { opened?: number, refused?: string }, stop: () => Promise<void> }

async function open (dir: string, snapshotDir: string): Promise<Holder> {
  // Node with tsx's hooks, not the tsx CLI: the CLI would add a relay process to each of the six.
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, snapshotDir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve)
    void exited.then(() => { reject(new Error('child exited without an answer')) })
  })
  return {
    answer: JSON.parse(line) as Holder['answer'],
    stop: async () => { child.stdin.end(); await exited }
  }
}

t.test('a second process is refused while the first holds the directory, round after round', async t => {
  const root = t.testdir()
  const snapshotDir = join(root, 'snapshots')
  for (const round of [1, 2]) {
    const dir = join(root, `db-${round}`)
    const first = await open(dir, snapshotDir)
    t.ok(first.answer.opened, `round ${round}: the first process opens ${dir}`)
    await t.rejects(startEmbedded(`pglite://${dir}`, silentLogger(), { snapshotDir }), { code: 'ERR_COACH_DB_EMBEDDED_IN_USE', message: new RegExp(`already open by process ${first.answer.opened}`) }, `round ${round}: the second process is refused`)
    await first.stop()
    const again = await startEmbedded(`pglite://${dir}`, silentLogger(), { snapshotDir })
    t.pass(`round ${round}: once the first has stopped, the directory opens again`)
    await again.close()
  }
  t.ok((await readdir(snapshotDir)).some(name => name.endsWith('.tar')), 'later rounds started from the saved snapshot')
})
