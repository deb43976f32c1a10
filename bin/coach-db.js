#!/usr/bin/env node
// Runs the TypeScript sources in a source checkout (no build step after `npm ci`) and the
// compiled dist/ when installed from the registry.
import { existsSync } from 'node:fs'

const source = new URL('../lib/cli/main.ts', import.meta.url)
let main
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import(source.href))
} else {
  ;({ main } = await import('../dist/lib/cli/main.js'))
}
process.exitCode = await main(process.argv.slice(2))
