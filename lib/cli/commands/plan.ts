import { EXIT, type CliCommand } from '../types.js'
import { withDatabase } from './shared.js'

export const plan: CliCommand = {
  name: 'plan',
  summary: 'print the SQL that "up" would run, without applying it',
  usage: 'coach-db plan [--json]',
  help: [
    '  --json      print [{"name", "previewable", "sql": [statements]} or {"name", "previewable": false, "reason"}]',
    '',
    'Runs the pending migrations inside one transaction that is rolled back, and prints each',
    'statement they sent. A migration that runs outside a transaction (transaction = false) cannot',
    'be previewed, nor can any migration after it; they are listed with the reason.'
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  run: async (ctx) => await withDatabase(ctx, async ({ migrator }) => {
    const planned = await migrator.plan()
    if (ctx.values.json === true) {
      ctx.out(JSON.stringify(planned, null, 2))
      return EXIT.OK
    }
    if (planned.length === 0) {
      ctx.out('Nothing to apply: the database is up to date.')
      return EXIT.OK
    }
    for (const migration of planned) {
      ctx.out(`-- ${migration.name}`)
      if (!migration.previewable) {
        ctx.out(`-- cannot be previewed: ${migration.reason}`)
        continue
      }
      for (const sql of migration.sql) ctx.out(`${sql.trim().replace(/;$/, '')};`)
    }
    const hidden = planned.filter(m => !m.previewable).length
    ctx.out(`-- ${planned.length} pending migration(s)${hidden > 0 ? `, ${hidden} not previewable` : ''}; nothing was applied`)
    return EXIT.OK
  })
}
