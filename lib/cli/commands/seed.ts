import type { Sequelize } from 'sequelize-typescript'
import { EXIT, type CliCommand } from '../types.js'
import { withDatabase } from './shared.js'
import { loadFixtures } from '../../fixtures/load.js'
import { assertMigrated, tableCounts } from '../../fixtures/checks.js'
import { FIXTURE_TABLES } from '../../../fixtures/types.js'
import { FIXTURE_ERROR_CODES } from '../../fixtures/errors.js'

const WIPE = `TRUNCATE ${FIXTURE_TABLES.join(', ')}`

export const seed: CliCommand = {
  name: 'seed',
  summary: 'load the fixture set into the database (local development)',
  usage: 'coach-db seed [--force] [--json]',
  help: [
    '  --force     empty the users, sessions, conversations and messages tables first (TRUNCATE:',
    '              ALL their rows are deleted), then load; both in one transaction',
    '  --json      print {"database", "emptied": {table: rows} | null, "seeded": {table: rows}}',
    '',
    'Refuses a database that is not migrated (run "coach-db up") or that has rows in any of the four',
    'tables, unless --force. Ids are stable: UUID v5 of "<table>:<label>", the same as in tests.'
  ].join('\n'),
  options: { force: { type: 'boolean' }, json: { type: 'boolean' } },
  run: async (ctx) => await withDatabase(ctx, async ({ sequelize }) => {
    await assertMigrated(sequelize)
    const counts = await tableCounts(sequelize)
    const rows = Object.values(counts).reduce((a, b) => a + b, 0)
    const force = ctx.values.force === true
    if (rows > 0 && !force) {
      ctx.err(`coach-db seed: database "${sequelize.getDatabaseName()}" is not empty (${describe(counts)}). Run "coach-db seed --force" to TRUNCATE ${FIXTURE_TABLES.join(', ')} (all their rows are deleted) and load the fixtures. [${FIXTURE_ERROR_CODES.NOT_EMPTY}]`)
      return EXIT.FAILED
    }
    const loaded = await wipeAndLoad(sequelize, rows > 0)
    if (ctx.values.json === true) {
      ctx.out(JSON.stringify({ database: sequelize.getDatabaseName(), emptied: rows > 0 ? counts : null, seeded: loaded }))
      return EXIT.OK
    }
    if (rows > 0) ctx.out(`Emptied ${FIXTURE_TABLES.join(', ')} (${describe(counts)}).`)
    ctx.out(`Seeded ${describe(loaded)} into "${sequelize.getDatabaseName()}".`)
    return EXIT.OK
  })
}

// One transaction: a failed load leaves the old data in place rather than an empty database.
async function wipeAndLoad (sequelize: Sequelize, wipe: boolean): Promise<Record<string, number>> {
  return await sequelize.transaction(async (transaction) => {
    if (wipe) await sequelize.query(WIPE, { transaction })
    const fx = await loadFixtures(sequelize, { transaction })
    return Object.fromEntries(FIXTURE_TABLES.map(table => [table, Object.keys(fx[table]).length]))
  })
}

function describe (counts: Record<string, number>): string {
  return FIXTURE_TABLES.map(table => `${counts[table] ?? 0} ${table}`).join(', ')
}
