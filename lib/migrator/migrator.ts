import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { Umzug, MigrationError as UmzugMigrationError, type RunnableMigration } from 'umzug'
import type { Transaction } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { MigrationError, OptionsError } from '../errors.js'
import { silentLogger, type Logger } from '../connection/logger.js'
import { DEFAULT_MIGRATIONS_DIR, discoverMigrations } from './discover.js'
import { SchemaMigrationsStorage } from './storage.js'
import type { AppliedMigration, MigrationContext, MigrationFile, MigrationModule, MigrationStatus, MigratorOptions } from './types.js'

/** Default name of the meta table. */
export const DEFAULT_META_TABLE = 'schema_migrations'

/** What `down` reverts: one step (default), `step` steps, or everything after `to` (`0` = all). */
export interface DownOptions {
  step?: number
  to?: string | 0
}

/**
 * Runs the migrations in a folder against one Sequelize connection, each in its own transaction
 * together with its row in the meta table, through Umzug.
 */
export class Migrator {
  readonly sequelize: Sequelize
  readonly migrationsDir: string
  readonly storage: SchemaMigrationsStorage
  readonly umzug: Umzug<{ sequelize: Sequelize }>
  private readonly log: Logger

  constructor (sequelize: Sequelize, options: MigratorOptions & { log?: Logger } = {}) {
    this.sequelize = sequelize
    this.migrationsDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR
    this.log = options.log ?? silentLogger()
    this.storage = new SchemaMigrationsStorage(sequelize, options.tableName ?? DEFAULT_META_TABLE)
    this.umzug = new Umzug({
      migrations: async () => (await discoverMigrations(this.migrationsDir)).map(file => this.runnable(file)),
      context: { sequelize },
      storage: this.storage,
      logger: undefined
    })
  }

  /** Applies pending migrations (all, or up to and including `to`). Returns the names applied. */
  async up (options: { to?: string } = {}): Promise<string[]> {
    await this.storage.ensureTable()
    const applied = await this.unwrap(() => this.umzug.up(options.to !== undefined ? { to: options.to } : {}))
    return applied.map(m => m.name)
  }

  /** Reverts applied migrations, newest first. Returns the names reverted. */
  async down (options: DownOptions = {}): Promise<string[]> {
    await this.storage.ensureTable()
    if (options.step !== undefined && (!Number.isInteger(options.step) || options.step < 1)) {
      throw new OptionsError(`down: step must be a whole number >= 1 (got ${String(options.step)}).`)
    }
    const reverted = await this.unwrap(() => this.umzug.down(
      options.to !== undefined ? { to: options.to } : { step: options.step ?? 1 }
    ))
    return reverted.map(m => m.name)
  }

  /** Names of migrations on disk that have not been applied. */
  async pending (): Promise<string[]> {
    await this.storage.ensureTable()
    return (await this.umzug.pending()).map(m => m.name)
  }

  /** Rows of the meta table, oldest first. */
  async executed (): Promise<AppliedMigration[]> {
    return await this.storage.rows()
  }

  /** Every migration, applied or pending, in order; applied ones no longer on disk are included. */
  async status (): Promise<MigrationStatus[]> {
    const [files, rows] = await Promise.all([discoverMigrations(this.migrationsDir), this.storage.rows()])
    const applied = new Map(rows.map(row => [row.name, row]))
    const names = [...new Set([...rows.map(r => r.name), ...files.map(f => f.name)])].sort()
    return names.map(name => {
      const row = applied.get(name)
      return { name, state: row ? 'applied' : 'pending', executedAt: row?.executedAt ?? null, durationMs: row?.durationMs ?? null }
    })
  }

  private runnable (file: MigrationFile): RunnableMigration<{ sequelize: Sequelize }> {
    return {
      name: file.name,
      path: file.path,
      up: async () => { await this.run(file, 'up') },
      down: async () => { await this.run(file, 'down') }
    }
  }

  private async run (file: MigrationFile, direction: 'up' | 'down'): Promise<void> {
    const migration = await loadMigration(file)
    const started = performance.now()
    this.log.info({ migration: file.name, direction }, `migration ${direction}: ${file.name}`)
    const apply = async (transaction: Transaction | undefined): Promise<void> => {
      try {
        await migration[direction]({ name: file.name, context: this.contextFor(transaction) })
      } catch (err) {
        throw toMigrationError(file.name, direction, err)
      }
      if (direction === 'up') {
        await this.storage.record({ name: file.name, durationMs: Math.round(performance.now() - started), checksum: await checksumOf(file.path) }, transaction)
      } else {
        await this.storage.erase(file.name, transaction)
      }
    }
    if (migration.transaction === false) {
      await apply(undefined)
    } else {
      await this.sequelize.transaction(async (transaction) => { await apply(transaction) })
    }
    this.log.info({ migration: file.name, direction, durationMs: Math.round(performance.now() - started) }, `migration ${direction} done: ${file.name}`)
  }

  private contextFor (transaction: Transaction | undefined): MigrationContext {
    return {
      sequelize: this.sequelize,
      queryInterface: this.sequelize.getQueryInterface(),
      transaction,
      query: async (sql, options = {}) => await this.sequelize.query(sql, { ...options, transaction })
    }
  }

  // Umzug wraps every failure in its own error; callers get ours (with the driver error as cause).
  private async unwrap<T> (fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof UmzugMigrationError && err.cause instanceof MigrationError) throw err.cause
      if (err instanceof UmzugMigrationError) throw toMigrationError(err.migration.name, err.migration.direction, err.cause)
      if (err instanceof Error && /Couldn't find migration to apply with name/.test(err.message)) {
        throw new OptionsError(`${err.message}. Run "coach-db status" to list migration names.`, { cause: err })
      }
      throw err
    }
  }
}

async function loadMigration (file: MigrationFile): Promise<MigrationModule> {
  const mod = await import(pathToFileURL(file.path).href) as Partial<MigrationModule>
  if (typeof mod.up !== 'function' || typeof mod.down !== 'function') {
    throw new MigrationError(file.name, `Migration ${file.name} must export async functions "up" and "down" (${file.path}).`, { code: 'ERR_COACH_DB_MIGRATION_INVALID' })
  }
  return mod as MigrationModule
}

async function checksumOf (path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex')
}

function toMigrationError (name: string, direction: string, err: unknown): MigrationError {
  if (err instanceof MigrationError) return err
  const parent = (err as { parent?: { code?: string }, original?: { code?: string } })
  const sqlState = parent.parent?.code ?? parent.original?.code
  const statement = (err as { sql?: string }).sql
  const reason = err instanceof Error ? err.message : String(err)
  const where = statement ? ` while running: ${truncate(statement)}` : ''
  return new MigrationError(name, `Migration ${name} (${direction}) failed${sqlState ? ` [SQLSTATE ${sqlState}]` : ''}: ${reason}${where}. Nothing of it was applied; fix the migration and run it again.`, { cause: err, sqlState, statement })
}

function truncate (sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim()
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine
}
