import { delimiter } from 'node:path'
import { resolveOptions } from '../options.js'
import { silentLogger } from '../logger.js'
import { Migrator } from '../migrator/migrator.js'
import { OptionsError } from '../errors.js'
import type { MigratorOptions } from '../migrator/types.js'
import type { CliDatabase } from './types.js'
import { openDatabase } from '../open-database.js'
import { addAppModels } from '../drift/app-models.js'

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
  const options = resolveOptions({}, env)
  // A CLI command runs one statement at a time: two connections are plenty.
  const opened = await openDatabase({ ...options, pool: { ...options.pool, max: 2 } }, log)
  const migrator = new Migrator(opened.sequelize, { ...fromEnv, ...migratorOptions, log })
  // An app's own models (COACH_DB_MODELS), so check and create --autogenerate compare them too.
  if (env.COACH_DB_MODELS !== undefined && env.COACH_DB_MODELS !== '') {
    await addAppModels(opened.sequelize, env.COACH_DB_MODELS).catch(async (err: unknown) => { await opened.close(); throw err })
  }
  return { sequelize: opened.sequelize, migrator, close: opened.close }
}
