import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Test } from 'tap'
import { ALONE, LONG, sharedFiles } from './helpers/shared-runner.js'
import { fileTest, lendTo } from './helpers/file-test.js'

const t = fileTest()

// npm test runs every test file once: the batches (test/batch-N.test.ts) run the shared ones,
// tap runs package.json's tap.include. A file left out of both would never run.
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const include: string[] = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).tap.include

function allTestFiles (dir = 'test'): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap(entry => {
    const path = `${dir}/${entry.name}`
    return entry.isDirectory() ? allTestFiles(path) : path.endsWith('.test.ts') ? [path] : []
  })
}

t.test('every test file runs: in a batch, or as a process of its own', async t => {
  const shared = sharedFiles()
  const own = include.filter(pattern => !pattern.includes('*'))
  const batches = allTestFiles().filter(path => /^test\/batch-\d+\.test\.ts$/.test(path))
  t.same([...shared, ...own, ...batches].sort(), allTestFiles().sort(), 'each file once')
  t.same(shared.filter(file => own.includes(file)), [], 'none in both')
  t.ok(batches.length >= 2, `${batches.length} batches`)
  batches.sort().forEach((file, index) => {
    t.match(readFileSync(join(ROOT, file), 'utf8'), new RegExp(`^runBatch\\(${index}, ${batches.length}, \\d+\\)$`, 'm'), `${file} is batch ${index} of ${batches.length}`)
  })
})

t.test('a shared file takes its t from fileTest(); a file of its own may use tap\'s root', async t => {
  for (const file of sharedFiles()) {
    t.match(readFileSync(join(ROOT, file), 'utf8'), /^const t = fileTest\(\)$/m, file)
  }
})

t.test('the runner\'s lists name shared files', async t => {
  const shared = sharedFiles()
  t.same([...ALONE].filter(file => !shared.includes(file)), [], 'ALONE')
  t.same(LONG.filter(file => !shared.includes(file)), [], 'LONG')
})

t.test('each import takes the t lent to it, and one that waits at its top level holds no one up', async t => {
  const a = { name: 'a' } as unknown as Test
  const b = { name: 'b' } as unknown as Test
  const seen: Test[] = []
  let release = (): void => {}
  const first = lendTo(a, async () => { seen.push(fileTest()); await new Promise<void>(resolve => { release = resolve }) })
  await lendTo(b, async () => { seen.push(fileTest()) })
  t.equal(seen[0], a)
  t.equal(seen[1], b, 'the second file ran while the first still waited')
  release()
  await first
  t.not(fileTest(), a, 'nothing stays lent')
})

t.test('a shared file that never calls fileTest() fails, saying what to do', async t => {
  await t.rejects(lendTo(t, async () => {}), /never called fileTest\(\): it cannot share a process; name it in package\.json tap\.include/)
  await t.rejects(lendTo(t, async () => { throw new Error('import failed') }), /import failed/, 'an import error is the file\'s failure')
  await lendTo(t, async () => { fileTest() })
  t.pass('and the next file still gets its turn')
})
