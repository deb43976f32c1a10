// The checks `npm test` runs before tap, at the same time: each is a process of its own that
// mostly uses one core, and together they took 14 s of the run one after the other (tsc, the
// import rules, the type tests; and tap's rebuild after `npm ci`, about 30 s). Each one's output
// is printed when it ends; the exit code is 1 if any failed.
import { spawn } from 'node:child_process'
import { join } from 'node:path'

const CHECKS = [
  ['tsc', ['--noEmit', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/coach-db/tsc.tsbuildinfo']],
  ['depcruise', ['lib', 'models', 'fixtures', 'example', '--config', '.dependency-cruiser.cjs', '--output-type', 'err']],
  ['tstyche', []],
  ['node', ['scripts/tap-plugins.mjs']]
]

const results = await Promise.all(CHECKS.map(([command, args]) => new Promise(resolve => {
  const bin = command === 'node' ? process.execPath : join('node_modules', '.bin', command)
  // On Windows node_modules/.bin holds .cmd shims, which only a shell runs.
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' && command !== 'node' })
  let output = ''
  child.stdout.on('data', chunk => { output += chunk })
  child.stderr.on('data', chunk => { output += chunk })
  child.on('error', err => { output += `${err.message}\n` })
  child.on('close', code => {
    process.stdout.write(`> ${[command, ...args].join(' ')}${code === 0 ? '' : ` (exit ${code})`}\n${output}`)
    resolve(code === 0)
  })
})))
process.exitCode = results.every(Boolean) ? 0 : 1
