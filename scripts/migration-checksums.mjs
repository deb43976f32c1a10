#!/usr/bin/env node
// Build step: dist/migrations/checksums.json holds the SHA-256 of each migration's TypeScript
// source, so the installed package (which ships only the compiled .js) reports the same checksum
// as a source checkout and as earlier releases that shipped the .ts (see lib/migrator/checksum.ts).
import { createHash } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'

const source = new URL('../migrations/', import.meta.url)
const target = new URL('../dist/migrations/checksums.json', import.meta.url)
const checksums = {}
for (const file of (await readdir(source)).filter(name => name.endsWith('.ts') && !name.endsWith('.d.ts')).sort()) {
  const text = await readFile(new URL(file, source), 'utf8')
  checksums[file.replace(/\.ts$/, '')] = createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex')
}
await writeFile(target, JSON.stringify(checksums, null, 2) + '\n')
console.log(`wrote dist/migrations/checksums.json (${Object.keys(checksums).length} migrations)`)
