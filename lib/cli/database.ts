import { delimiter } from 'node:path'
import { resolveOptions } from '../options.js'
import { resolveCredentials } from '../credentials/index.js'
import { createSequelize } from '../connection/create-sequelize.js'
import { connectWithRetry } from '../connection/connect.js'
import { silentLogger } from '../connection/logger.js'
import { isEmbeddedUrl, startEmbedded } from '../engine/index.js'
import { Migrator } from '../migrator/migrator.js'
import { OptionsError } from '../errors.js'
import type { MigratorOptions } from '../migrator/types.js'
import type { CliDatabase } from './types.js'

/**
 * Migrator settings the CLI reads from the environment: COACH_DB_MIGRATIONS_DIR,
 * COACH_DB_MIGRATION_LOCK (wait | skip | fail | off) and COACH_DB_LOCK_TIMEOUT (ms).
 */
export function migratorOptionsFromEnv (env: NodeJS.ProcessEnv): MigratorOptions {
  const lock = env.COACH_DB_MIGRATION_LOCK ?? 'wait'
  if (!['wait', 'skip', 'fail', 'off'].includes(lock)) {
    throw new OptionsError(`COACH_DB_MIGRATION_LOCK must be wait, skip, fail or off (got "${lock}").`)
  }
  const timeout = env.COACH_DB_LOCK_TIMEOUT
  if (timeout !== undefined && !/^\d+$/.test(timeout)) {
    throw new OptionsError(`COACH_DB_LOCK_TIMEOUT must be a whole number of milliseconds (got "${timeout}").`)
  }
  return {
    migrationsDir: migrationsDirsFromEnv(env),
    lock: lock === 'off' ? false : lock as 'wait' | 'skip' | 'fail',
    ...(timeout !== undefined ? { lockTimeout: Number(timeout) } : {})
  }
}

/**
 * COACH_DB_MIGRATIONS_DIR: one folder, or several separated by `:` (`;` on Windows), e.g. the
 * package's own and the app's. Unset: the package's own.
 */
export function migrationsDirsFromEnv (env: NodeJS.ProcessEnv): string[] | undefined {
  const dirs = env.COACH_DB_MIGRATIONS_DIR?.split(delimiter).filter(dir => dir.trim() !== '')
  return dirs === undefined || dirs.length === 0 ? undefined : dirs
}

/** Opens the database the environment points at, as the plugin would with no options. */
export async function openCliDatabase (env: NodeJS.ProcessEnv, migratorOptions: Partial<MigratorOptions> = {}): Promise<CliDatabase> {
  const fromEnv = migratorOptionsFromEnv(env)
  const log = silentLogger()
  let options = resolveOptions({}, env)
  const embedded = isEmbeddedUrl(options.connectionString) ? await startEmbedded(options.connectionString, log) : undefined
  if (embedded !== undefined) options = { ...options, connectionString: embedded.connectionString }
  try {
    const credentials = await resolveCredentials(options, log)
    const sequelize = createSequelize({ target: credentials.target, password: credentials.password, pool: { ...options.pool, max: 2 }, log, connectTimeoutMs: options.connectTimeoutMs })
    try {
      await connectWithRetry(sequelize, credentials.target, options.connectRetry, log)
    } catch (err) {
      await sequelize.close()
      throw err
    }
    const migrator = new Migrator(sequelize, { ...fromEnv, ...migratorOptions, log })
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
