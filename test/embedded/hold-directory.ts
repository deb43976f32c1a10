// A process that opens one pglite://<directory> and holds it until its stdin closes: the first
// process in test/embedded/directory-lock.test.ts. Prints one JSON line: {"opened":pid} or
// {"refused":code}. argv: <directory> <snapshot folder>.
import { startEmbedded } from '../../lib/engine/index.js'
import { silentLogger } from '../../lib/logger.js'

const [dir, snapshotDir] = process.argv.slice(2) as [string, string]
// The test may stop reading once it has its answer.
process.stdout.on('error', () => {})
try {
  const engine = await startEmbedded(`pglite://${dir}`, silentLogger(), { snapshotDir })
  process.stdout.write(`${JSON.stringify({ opened: process.pid })}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => { void engine.close().then(() => process.exit(0)) })
} catch (err) {
  process.stdout.write(`${JSON.stringify({ refused: (err as { code?: string }).code ?? String(err) })}\n`)
  process.exit(0)
}
