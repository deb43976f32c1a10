import type { FastifyInstance } from 'fastify'
import { buildExampleApp } from './app.js'
import { demoIds, loadDemoDataIfEmpty } from './demo-data.js'

// `npm start`: the example service. DATABASE_URL picks the database; without it, an embedded
// PGlite keeps its data in .data/ (git-ignored), so the first run needs nothing installed.
const EMBEDDED_DEFAULT = 'pglite://.data'
const SHUTDOWN_GRACE_MS = 10_000

async function main (): Promise<void> {
  const connectionString = process.env.DATABASE_URL?.trim() || EMBEDDED_DEFAULT
  const host = process.env.HOST ?? '127.0.0.1'
  const port = Number(process.env.PORT ?? 3000)
  const app = await buildExampleApp({ connectionString, logger: { level: process.env.LOG_LEVEL ?? 'info' } })
  closeOnSignals(app)
  const loaded = await loadDemoDataIfEmpty(app.db)
  if (loaded) app.log.info('empty database: loaded the demo fixtures')
  const address = await app.listen({ host, port })
  printBanner(address, connectionString, await demoIds(app.db))
}

// SIGTERM (orchestrators) and SIGINT (Ctrl-C): stop accepting, finish in-flight requests, close
// the pool and the embedded engine (the plugin's onClose), then exit. A second signal, or a
// shutdown that hangs, exits at once.
function closeOnSignals (app: FastifyInstance): void {
  let closing = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(1)
    closing = true
    app.log.info({ signal }, 'shutting down')
    setTimeout(() => { process.exit(1) }, SHUTDOWN_GRACE_MS).unref()
    app.close().then(() => { process.exit(0) }, (err: unknown) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

function printBanner (address: string, connectionString: string, ids: Awaited<ReturnType<typeof demoIds>>): void {
  const database = connectionString.startsWith('pglite://') ? `embedded PGlite (${connectionString})` : 'DATABASE_URL'
  const lines = [
    '',
    `  Example service listening on ${address}  (database: ${database})`,
    '',
    '  Try:',
    `    curl -s ${address}/health`
  ]
  if (ids !== undefined) {
    lines.push(
      `    curl -s ${address}/users/${ids.userId}/conversations`,
      `    curl -s '${address}/conversations/${ids.conversationId}/messages?limit=2'`,
      `    curl -s -X POST ${address}/conversations/${ids.conversationId}/messages -H 'content-type: application/json' -d '{"role":"user","content":"Thanks!"}'`
    )
    if (ids.shareToken !== null) lines.push(`    curl -s ${address}/shared/${ids.shareToken}`)
    lines.push(`    curl -s -X DELETE ${address}/users/${ids.userId}`)
  }
  lines.push('', '  Ctrl-C stops it.', '')
  process.stdout.write(lines.join('\n') + '\n')
}

main().catch((err: unknown) => {
  const e = err as { code?: string, message?: string }
  process.stderr.write(`Could not start the example service: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}\n`)
  process.exit(1)
})
