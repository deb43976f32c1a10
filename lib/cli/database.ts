import { migratorOptions, resolveOptions } from '../options.js'
import { silentLogger } from '../logger.js'
import { Migrator } from '../migrator/migrator.js'
import type { CoachDbOptions } from '../types.js'
import type { CliDatabase } from './types.js'
import { openDatabase } from '../open-database.js'
import { addAppModels } from '../drift/app-models.js'
import { CLI_POOL_MAX } from '../defaults.js'

/**
 * Opens the database the environment points at, resolved exactly as the plugin resolves it
 * (lib/options.ts reads every variable, COACH_DB_MIGRATION_LOCK and the like included); a
 * command's flags come in as the plugin's options (`--accept-edited` is `acceptEditedMigrations`).
 */
export async function openCliDatabase (env: NodeJS.ProcessEnv, flags: CoachDbOptions = {}): Promise<CliDatabase> {
  const options = resolveOptions({ pool: { max: CLI_POOL_MAX }, ...flags }, env)
  const log = silentLogger()
  const opened = await openDatabase(options, log)
  // The verified connection becomes the pool's first: a command costs one login.
  opened.handOver()
  const migrator = new Migrator(opened.sequelize, { ...migratorOptions(options), log })
  // An app's own models (COACH_DB_MODELS), so check and create --autogenerate compare them too.
  // Not an option of the plugin: there the app registers its models itself.
  if (env.COACH_DB_MODELS !== undefined && env.COACH_DB_MODELS !== '') {
    await addAppModels(opened.sequelize, env.COACH_DB_MODELS).catch(async (err: unknown) => { await opened.close(); throw err })
  }
  return { sequelize: opened.sequelize, migrator, close: opened.close }
}
