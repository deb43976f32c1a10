#!/usr/bin/env node
// Runs the TypeScript sources in a source checkout (no build step after `npm ci`) and the
// compiled dist/ when installed from the registry.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const source = new URL('../lib/cli/main.ts', import.meta.url)
let main
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  // Our tsconfig (decorators), whatever directory the command runs from.
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) })
  ;({ main } = await import(source.href))
} else {
  ;({ main } = await import('../dist/lib/cli/main.js'))
}
process.exitCode = await main(process.argv.slice(2))
