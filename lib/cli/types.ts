import type { ParseArgsConfig } from 'node:util'
import type { Sequelize } from 'sequelize-typescript'
import type { Migrator } from '../migrator/migrator.js'
import type { CoachDbOptions } from '../types.js'

/** An open connection for one CLI command; `close` ends it (and an embedded engine). */
export interface CliDatabase {
  sequelize: Sequelize
  migrator: Migrator
  close: () => Promise<void>
}

/** What a command gets: its parsed arguments, output streams and a way to connect. */
export interface CliContext {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
  out: (line: string) => void
  err: (line: string) => void
  env: NodeJS.ProcessEnv
  /**
   * Connects with the options the plugin would resolve from this environment (DATABASE_URL,
   * DB_SECRET_NAME, COACH_DB_MIGRATION_LOCK, …); `flags` are a command's flags as plugin options.
   */
  openDatabase: (flags?: CoachDbOptions) => Promise<CliDatabase>
}

/** One `coach-db <name>` command. `run` resolves to the process exit code. */
export interface CliCommand {
  name: string
  summary: string
  /** Lines printed by `coach-db <name> --help`, after the usage line. */
  help: string
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  run: (ctx: CliContext) => Promise<number>
}

/** Exit codes: 0 done, 1 the operation failed (or `check` found differences), 2 bad usage. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const
