// The checks `npm test` runs before tap, side by side: each is a process of its own that mostly
// uses one core, and one after the other they took 14 s of the run. tap's plugin rebuild
// (scripts/tap-plugins.mjs: 0.3 s, or about 30 s after `npm ci`) rewrites tap's type
// declarations, so tsc and tstyche, which read them, start after it; the import rules do not wait.
// Each check's output is printed when it ends; the exit code is 1 if any failed.
import { spawn } from 'node:child_process'
import { join } from 'node:path'

function run (command, args) {
  return new Promise(resolve => {
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
  })
}

const results = await Promise.all([
  run('depcruise', ['lib', 'models', 'fixtures', 'example', '--config', '.dependency-cruiser.cjs', '--output-type', 'err']),
  run('node', ['scripts/tap-plugins.mjs']).then(async built => built && (await Promise.all([
    run('tsc', ['--noEmit', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/coach-db/tsc.tsbuildinfo']),
    run('tstyche', [])
  ])).every(Boolean))
])
process.exitCode = results.every(Boolean) ? 0 : 1
