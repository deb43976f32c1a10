import { EXIT, type CliCommand } from '../types.js'
import { withDatabase } from './shared.js'
import type { DownOptions } from '../../migrator/migrator.js'

const DATA_LOSS = 'Reverting the initial migration DROPS the users, sessions, conversations and messages tables and ALL THEIR DATA. Take a backup first (pg_dump).'

export const down: CliCommand = {
  name: 'down',
  summary: 'revert migrations (one step by default)',
  usage: 'coach-db down [--step N | --to NAME | --to 0 --yes] [--json]',
  help: [
    '  --step N    revert the N most recent migrations (default 1)',
    '  --to NAME   revert every migration applied after NAME, and NAME itself',
    '  --to 0      revert everything; needs --yes. ' + DATA_LOSS,
    '  --yes       confirm a revert to the beginning',
    '  --json      print {"reverted": [names]} instead of text'
  ].join('\n'),
  options: { step: { type: 'string' }, to: { type: 'string' }, yes: { type: 'boolean' }, json: { type: 'boolean' } },
  run: async (ctx) => {
    const parsed = parseDownOptions(ctx.values)
    if (typeof parsed === 'string') {
      ctx.err(`coach-db down: ${parsed}`)
      return EXIT.USAGE
    }
    if (parsed.to === 0 && ctx.values.yes !== true) {
      ctx.err(`coach-db down --to 0 reverts every migration. ${DATA_LOSS} Run again with --yes to confirm.`)
      return EXIT.USAGE
    }
    return await withDatabase(ctx, async ({ migrator }) => {
      const reverted = await migrator.down(parsed)
      if (ctx.values.json === true) {
        ctx.out(JSON.stringify({ reverted }))
        return EXIT.OK
      }
      if (reverted.length === 0) ctx.out('Nothing to revert: no migration is applied.')
      for (const name of reverted) ctx.out(`reverted ${name}`)
      return EXIT.OK
    })
  }
}

function parseDownOptions (values: Record<string, string | boolean | undefined>): DownOptions | string {
  const { step, to } = values
  if (typeof step === 'string' && typeof to === 'string') return 'use either --step or --to, not both'
  if (typeof step === 'string') {
    const n = Number(step)
    if (!Number.isInteger(n) || n < 1) return `--step must be a whole number >= 1 (got "${step}")`
    return { step: n }
  }
  if (typeof to === 'string') return { to: to === '0' ? 0 : to }
  return { step: 1 }
}
