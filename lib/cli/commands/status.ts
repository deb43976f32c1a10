import { EXIT, type CliCommand } from '../types.js'
import { withDatabase } from './shared.js'

export const status: CliCommand = {
  name: 'status',
  summary: 'list applied and pending migrations, with times',
  usage: 'coach-db status [--json]',
  help: '  --json      print the list as JSON',
  options: { json: { type: 'boolean' } },
  run: async (ctx) => await withDatabase(ctx, async ({ migrator }) => {
    const rows = await migrator.status()
    if (ctx.values.json === true) {
      ctx.out(JSON.stringify(rows, null, 2))
      return EXIT.OK
    }
    for (const row of rows) {
      const when = row.executedAt ? `${row.executedAt.toISOString()}${row.durationMs !== null ? `  (${row.durationMs} ms)` : ''}` : ''
      ctx.out(`${row.state.padEnd(8)} ${row.name}  ${when}`.trimEnd())
    }
    const pending = rows.filter(r => r.state === 'pending').length
    ctx.out(`${rows.length - pending} applied, ${pending} pending`)
    return EXIT.OK
  })
}
