import { EXIT, type CliCommand, type CliContext } from '../types.js'
import { withDatabase } from './shared.js'
import { checkSchema, type SchemaCheck, type SchemaCounts } from '../../drift/index.js'

export const check: CliCommand = {
  name: 'check',
  summary: 'compare the models with the live database; exit 1 when they differ',
  usage: 'coach-db check [--json]',
  help: [
    '  --json      print {"ok": …, "differences": […], "expected": {…}} instead of text',
    '',
    'Compares tables, columns (type, NULL rule), indexes and constraints (primary key, UNIQUE,',
    'foreign keys, CHECK) of the model tables; other tables, such as the migrations meta table,',
    'are not looked at. Column defaults are not compared. Reads only; takes no lock.',
    '',
    'Exit codes: 0 the database matches the models, 1 it differs (or the check failed), 2 bad usage.'
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  run: async (ctx) => {
    if (ctx.positionals.length > 0) {
      ctx.err(`coach-db check: unexpected argument "${ctx.positionals[0] ?? ''}". Usage: coach-db check [--json]`)
      return EXIT.USAGE
    }
    return await withDatabase(ctx, async ({ sequelize }) => {
      const result = await checkSchema(sequelize)
      if (ctx.values.json === true) ctx.out(JSON.stringify(result, null, 2))
      else printReport(ctx, result)
      return result.ok ? EXIT.OK : EXIT.FAILED
    })
  }
}

function printReport (ctx: CliContext, result: SchemaCheck): void {
  if (result.ok) {
    ctx.out(`Database matches the models (${describeCounts(result.expected)}).`)
    return
  }
  for (const difference of result.differences) ctx.out(difference.message)
  const n = result.differences.length
  const missingTables = result.differences.some(d => d.kind === 'missing-table')
  // A missing table nearly always means migrations that have not run, not hand-made drift.
  const hint = missingTables ? ' Missing tables: run "coach-db status" to see pending migrations.' : ''
  ctx.out(`${n} difference${n === 1 ? '' : 's'} between the models and the database.${hint}`)
}

function describeCounts (counts: SchemaCounts): string {
  return `${counts.tables} tables, ${counts.columns} columns, ${counts.indexes} indexes, ${counts.constraints} constraints`
}
