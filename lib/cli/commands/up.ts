import { EXIT, type CliCommand } from '../types.js'
import { withDatabase } from './shared.js'
import { DEFAULT_LOCK_TIMEOUT } from '../../defaults.js'

export const up: CliCommand = {
  name: 'up',
  summary: 'apply pending migrations (under the migration lock)',
  usage: 'coach-db up [--to NAME] [--accept-edited] [--json]',
  help: [
    '  --to NAME         apply pending migrations up to and including NAME',
    '  --accept-edited   run even if an applied migration\'s file changed since it ran',
    '  --json            print {"applied": [names], "skipped": false} instead of text',
    '',
    'Waits for another process that is migrating (COACH_DB_MIGRATION_LOCK=wait|skip|fail|off,',
    `COACH_DB_LOCK_TIMEOUT in ms, default ${DEFAULT_LOCK_TIMEOUT}).`
  ].join('\n'),
  options: { to: { type: 'string' }, 'accept-edited': { type: 'boolean' }, json: { type: 'boolean' } },
  run: async (ctx) => await withDatabase(ctx, async ({ migrator }) => {
    const { applied, skipped } = await migrator.up(typeof ctx.values.to === 'string' ? { to: ctx.values.to } : {})
    if (ctx.values.json === true) {
      ctx.out(JSON.stringify({ applied, skipped }))
      return EXIT.OK
    }
    if (skipped) ctx.out('Skipped: another process is migrating this database (COACH_DB_MIGRATION_LOCK=skip).')
    else if (applied.length === 0) ctx.out('Nothing to apply: the database is up to date.')
    for (const name of applied) ctx.out(`applied  ${name}`)
    return EXIT.OK
  }, ctx.values['accept-edited'] === true ? { acceptEditedMigrations: true } : {})
}
