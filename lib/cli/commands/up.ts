import { EXIT, type CliCommand } from '../types.js'
import { withDatabase } from './shared.js'

export const up: CliCommand = {
  name: 'up',
  summary: 'apply pending migrations',
  usage: 'coach-db up [--to NAME]',
  help: '  --to NAME   apply pending migrations up to and including NAME',
  options: { to: { type: 'string' } },
  run: async (ctx) => await withDatabase(ctx, async ({ migrator }) => {
    const applied = await migrator.up(typeof ctx.values.to === 'string' ? { to: ctx.values.to } : {})
    if (applied.length === 0) ctx.out('Nothing to apply: the database is up to date.')
    for (const name of applied) ctx.out(`applied  ${name}`)
    return EXIT.OK
  })
}
