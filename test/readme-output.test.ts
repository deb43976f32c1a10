import { fileTest } from './helpers/file-test.js'
import { readFile } from 'node:fs/promises'
import { format } from 'node:util'
import { printSection } from '../example/readme-output.js'
import { needsServer } from './helpers/engine.js'

const t = fileTest()

// The README's feature sections paste what `npx tsx example/readme-output.ts <section>` printed.
// Each is run again here and compared with the README (ids, latencies, timestamps and durations
// aside), so a behaviour change that makes the README wrong fails the suite.

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')

/** The first code block after the README's "Printed by `npx tsx example/readme-output.ts <name>`". */
function readmeBlock (name: string): string {
  const at = readme.search(new RegExp(`Printed by\\s+\`npx tsx example/readme-output\\.ts ${name}\``))
  if (at === -1) throw new Error(`README: no output of the "${name}" section`)
  const block = /```\n([\s\S]*?)```/.exec(readme.slice(at))
  if (block === null) throw new Error(`README: no code block after the "${name}" section's output`)
  return block[1]!
}

async function printed (name: string): Promise<string> {
  const lines: string[] = []
  await printSection(name, (...values) => { lines.push(format(...values)) })
  return lines.join('\n') + '\n'
}

// Ids are random and emails/share tokens carry a per-process tag: the rest must match exactly.
const stable = (text: string): string => text
  .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
  .replace(/(user|share)-[0-9a-f]{8}-/g, '$1-<run>-')

const server = needsServer('the README shows what PostgreSQL printed')

t.test('Request-scoped transactions', server, async t => {
  t.equal(await printed('transactions'), readmeBlock('transactions'))
})

t.test('Vector search', server, async t => {
  t.equal(await printed('vector'), readmeBlock('vector'))
})

t.test('Health', server, async t => {
  // Latencies, timestamps and how many pooled connections sit idle vary from run to run.
  const vary = (text: string): string => text
    .replace(/("latencyMs":|latencyMs: )[0-9.]+/g, '$1<ms>')
    .replace(/("checkedAt":"|checkedAt: ')[0-9T:.Z-]+/g, '$1<time>')
    .replace(/("size":|"available":|size: |available: )\d+/g, '$1<n>')
  t.equal(vary(await printed('health')), vary(readmeBlock('health')))
})

t.test('Expired sessions', server, async t => {
  const purge = /```\n(> await Session\.purgeExpired[\s\S]*?)```/.exec(readme)?.[1] ?? '<no purgeExpired block>'
  const vary = (text: string): string => text.replace(/"durationMs":\d+/g, '"durationMs":<ms>')
  t.equal(vary(await printed('sessions')), vary(purge + readmeBlock('sessions')))
})

t.test('Testing your app: factories', server, async t => {
  t.equal(stable(await printed('factories')), stable(readmeBlock('factories')))
})
