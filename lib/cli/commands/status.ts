import { EXIT, type CliCommand } from '../types.js'
import { withDatabase } from './shared.js'

export const status: CliCommand = {
  name: 'status',
  summary: 'list applied, edited and pending migrations, with times',
  usage: 'coach-db status [--json]',
  help: [
    '  --json      print the list as JSON',
    '',
    'States: applied; edited (applied, but the file changed since); missing (applied, file gone); pending.'
  ].join('\n'),
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
    const count = (state: string): number => rows.filter(r => r.state === state).length
    const applied = rows.length - count('pending')
    const notes = [count('edited') > 0 ? `${count('edited')} edited` : '', count('missing') > 0 ? `${count('missing')} missing` : ''].filter(Boolean)
    ctx.out(`${applied} applied, ${count('pending')} pending${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`)
    return EXIT.OK
  })
}
