import { startEmbedded } from '../lib/engine/index.js'
import { silentLogger } from '../lib/logger.js'
import { Migrator } from '../lib/migrator/migrator.js'
import { createTestDatabase } from '../lib/testing/database.js'
import { generateDataset } from './dataset.js'
import { measureVariants, routeFigures, type RouteSummary } from './requests.js'
import type { Figure } from './stats.js'
import { withSequelize } from '../lib/connection/with-sequelize.js'

const SIZE = { users: 50, conversations: 200, messages: 20_000 }

/** The same "last 50 messages" request on embedded PGlite and on PostgreSQL, same data, same run. */
export async function benchEmbedded (): Promise<Figure[]> {
  const server = await createTestDatabase()
  const engine = await startEmbedded('pglite://memory', silentLogger(), { listen: true })
  try {
    await migrate(engine.connectionString)
    await Promise.all([generateDataset(server.url, SIZE), generateDataset(engine.connectionString, SIZE)])
    const variants = ['Message.recent (lean)'] as const
    const onServer = (await measureVariants(server.url, variants, { rounds: 2, duration: 3 })).get(variants[0]) as RouteSummary
    const onPglite = (await measureVariants(engine.connectionString, variants, { rounds: 2, duration: 3 })).get(variants[0]) as RouteSummary
    return routeFigures('embedded', 'PGlite, last 50 messages', onPglite, 'PostgreSQL 15', onServer)
  } finally {
    await engine.close()
    await server.drop()
  }
}

async function migrate (url: string): Promise<void> {
  await withSequelize(url, async (sequelize) => { await new Migrator(sequelize).up() })
}
