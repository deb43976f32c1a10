import { resolveOptions } from '../options.js'
import { resolveCredentials } from '../credentials/index.js'
import { createSequelize } from '../connection/create-sequelize.js'
import { connectWithRetry } from '../connection/connect.js'
import { silentLogger } from '../connection/logger.js'
import { isEmbeddedUrl, startEmbedded } from '../engine/index.js'
import { Migrator } from '../migrator/migrator.js'
import type { CliDatabase } from './types.js'

/** Opens the database the environment points at, as the plugin would with no options. */
export async function openCliDatabase (env: NodeJS.ProcessEnv): Promise<CliDatabase> {
  const log = silentLogger()
  let options = resolveOptions({}, env)
  const embedded = isEmbeddedUrl(options.connectionString) ? await startEmbedded(options.connectionString, log) : undefined
  if (embedded !== undefined) options = { ...options, connectionString: embedded.connectionString }
  try {
    const credentials = await resolveCredentials(options, log)
    const sequelize = createSequelize({ target: credentials.target, password: credentials.password, pool: { ...options.pool, max: 2 }, log })
    try {
      await connectWithRetry(sequelize, credentials.target, options.connectRetry, log)
    } catch (err) {
      await sequelize.close()
      throw err
    }
    const migrator = new Migrator(sequelize, { migrationsDir: env.COACH_DB_MIGRATIONS_DIR, log })
    return {
      sequelize,
      migrator,
      close: async () => {
        await sequelize.close()
        await embedded?.close()
      }
    }
  } catch (err) {
    await embedded?.close()
    throw err
  }
}
