import { fileTest } from '../helpers/file-test.js'
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'

const t = fileTest()

// PGlite's own .d.ts fail an app's strict build (skipLibCheck: false: missing `Emscripten`), and
// PGlite is an optional peer an app may not have installed: none of our declaration files may
// point at it. Emits the declarations the package ships and reads every one. `--noCheck` skips the
// type check (`npm test` has just run `tsc --noEmit`): the same files, in half the time.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc')

t.test('the shipped declaration files never reference PGlite', async t => {
  const out = t.testdir()
  await promisify(execFile)(TSC, ['-p', 'tsconfig.build.json', '--emitDeclarationOnly', '--noCheck', '--outDir', out], { cwd: ROOT })
  const files = (await readdir(out, { recursive: true })).filter(name => name.endsWith('.d.ts'))
  t.ok(files.includes(join('lib', 'engine', 'index.d.ts')), 'the engine\'s declarations are among them')
  const offending: string[] = []
  for (const file of files) {
    if ((await readFile(join(out, file), 'utf8')).includes('@electric-sql')) offending.push(file)
  }
  t.same(offending, [])
})
