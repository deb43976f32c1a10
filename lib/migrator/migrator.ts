import { AsyncLocalStorage } from 'node:async_hooks'
import { pathToFileURL } from 'node:url'
import { Umzug, MigrationError as UmzugMigrationError, type RunnableMigration } from 'umzug'
import type { Transaction } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { MigrationError, OptionsError } from '../errors.js'
import { silentLogger, type Logger } from '../connection/logger.js'
import { discoverMigrations } from './discover.js'
import { defaultMigrationFolders } from './folders.js'
import { SchemaMigrationsStorage } from './storage.js'
import { MigrationLock } from './lock.js'
import { migrationChecksum } from './checksum.js'
import { captureSql } from './capture-sql.js'
import type { AppliedMigration, MigrationContext, MigrationFile, MigrationLockMode, MigrationModule, MigrationStatus, MigratorOptions, PlannedMigration } from './types.js'

/** Default name of the meta table. */
export const DEFAULT_META_TABLE = 'schema_migrations'
/** Default longest wait for the migration lock, in ms. */
export const DEFAULT_LOCK_TIMEOUT = 120_000

/** What `down` reverts: one step (default), `step` steps, or everything after `to` (`0` = all). */
export interface DownOptions {
  step?: number
  to?: string | 0
}

/**
 * Runs the migrations in a folder against one Sequelize connection through Umzug. Each migration
 * runs in its own transaction together with its row in the meta table; `up` and `down` hold an
 * advisory lock so that replicas starting together migrate once.
 */
export class Migrator {
  readonly sequelize: Sequelize
  private readonly migrationsDir: string | readonly string[] | undefined
  private folderList: Promise<readonly string[]> | undefined
  readonly storage: SchemaMigrationsStorage
  readonly umzug: Umzug<{ sequelize: Sequelize }>
  private readonly log: Logger
  private readonly lockMode: MigrationLockMode | false
  private readonly lockTimeout: number
  private readonly acceptEdited: boolean
  private lock: MigrationLock | undefined
  /** Whether the last `up` returned without migrating because another process held the lock (`skip`). */
  skippedLastUp = false

  constructor (sequelize: Sequelize, options: MigratorOptions & { log?: Logger } = {}) {
    this.sequelize = sequelize
    this.migrationsDir = options.migrationsDir
    this.log = options.log ?? silentLogger()
    this.lockMode = options.lock ?? 'wait'
    this.lockTimeout = options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT
    this.acceptEdited = options.acceptEdited ?? false
    this.storage = new SchemaMigrationsStorage(sequelize, options.tableName ?? DEFAULT_META_TABLE)
    this.umzug = new Umzug({
      migrations: async () => (await this.discover()).map(file => this.runnable(file)),
      context: { sequelize },
      storage: this.storage,
      logger: undefined
    })
  }

  /**
   * Applies pending migrations (all, or up to and including `to`) under the migration lock and
   * returns the names applied. Refuses when an applied migration's file was edited, unless
   * `acceptEdited`. In lock mode `skip`, returns `[]` when another process is migrating.
   */
  async up (options: { to?: string } = {}): Promise<string[]> {
    this.skippedLastUp = false
    // With `to`, umzug still has to check the name exists, so only a plain `up` takes the shortcut.
    if (options.to === undefined && await this.isUpToDate()) {
      this.log.info({ applied: [] }, 'database schema is up to date')
      return []
    }
    const names = await this.locked(async () => {
      await this.refuseEdited()
      const applied = await this.unwrap(() => this.umzug.up(options.to !== undefined ? { to: options.to } : {}))
      return applied.map(m => m.name)
    })
    if (names === undefined) {
      this.skippedLastUp = true
      return []
    }
    this.log.info({ applied: names }, names.length > 0 ? `applied ${names.length} migration(s)` : 'database schema is up to date')
    return names
  }

  // Every replica of a deployed service starts with nothing to do: one read of the meta table
  // settles that without the lock's extra connection. Nothing pending can't become pending
  // behind our back, so skipping the lock here is safe.
  private async isUpToDate (): Promise<boolean> {
    const rows = await this.storage.rowsIfExists()
    if (rows === undefined) return false
    const applied = new Set(rows.map(row => row.name))
    const files = await this.discover()
    if (files.some(file => !applied.has(file.name))) return false
    return (await this.editedAmong(rows, files)).length === 0 || this.acceptEdited
  }

  /** Reverts applied migrations, newest first, under the migration lock. Returns the names reverted. */
  async down (options: DownOptions = {}): Promise<string[]> {
    if (options.step !== undefined && (!Number.isInteger(options.step) || options.step < 1)) {
      throw new OptionsError(`down: step must be a whole number >= 1 (got ${String(options.step)}).`)
    }
    const names = await this.locked(async () => {
      // What to revert comes from the meta table (the database's own history), never from the
      // files that happen to be on disk: a folder left out must not shift `down` onto another
      // migration. The files are only looked up, and every one must be found before anything runs.
      const targets = this.toRevert(await this.storage.rows(), options)
      const files = new Map((await this.discover()).map(file => [file.name, file]))
      const missing = targets.filter(name => !files.has(name))
      if (missing.length > 0) throw this.missingFiles(missing, (await this.folders()).join(', '))
      for (const name of targets) await this.run(files.get(name) as MigrationFile, 'down')
      return targets
    })
    if (names !== undefined && names.length > 0) this.log.info({ reverted: names }, `reverted ${names.length} migration(s)`)
    return names ?? []
  }

  // Applied migrations, last applied first, that `down` reverts for these options.
  private toRevert (rows: AppliedMigration[], options: DownOptions): string[] {
    const newestFirst = [...rows]
      .sort((a, b) => a.executedAt.getTime() - b.executedAt.getTime() || a.name.localeCompare(b.name))
      .reverse()
      .map(row => row.name)
    if (options.to === 0) return newestFirst
    if (options.to !== undefined) {
      const index = newestFirst.indexOf(options.to)
      if (index === -1) throw new OptionsError(`down: migration "${options.to}" is not applied, so there is nothing to revert to. Run "coach-db status" to list migration names.`)
      return newestFirst.slice(0, index + 1)
    }
    return newestFirst.slice(0, options.step ?? 1)
  }

  private missingFiles (missing: string[], folders: string): MigrationError {
    return new MigrationError(missing[0] as string, `Cannot revert ${missing.join(', ')}: ${this.storage.tableName} says ${missing.length === 1 ? 'it was' : 'they were'} applied, but no file for ${missing.length === 1 ? 'it' : 'them'} was found in ${folders}. Nothing was reverted. Add the folder that holds ${missing.length === 1 ? 'it' : 'them'} (COACH_DB_MIGRATIONS_DIR, or the plugin's migrationsDir) and run again.`, { code: 'ERR_COACH_DB_MIGRATION_MISSING' })
  }

  /**
   * The folders read, in order: `migrationsDir` when given, else the package's own migrations
   * followed by the app's folder declared in its package.json (see {@link defaultMigrationFolders}).
   */
  async folders (): Promise<readonly string[]> {
    this.folderList ??= this.migrationsDir !== undefined
      ? Promise.resolve(typeof this.migrationsDir === 'string' ? [this.migrationsDir] : this.migrationsDir)
      : defaultMigrationFolders().then(found => found.dirs)
    return await this.folderList
  }

  private async discover (): Promise<MigrationFile[]> {
    return await discoverMigrations(await this.folders())
  }

  /**
   * Names of migrations on disk that have not been applied. Reads only: health checks call it,
   * and it must work on a read-only replica and take no lock.
   */
  async pending (): Promise<string[]> {
    const applied = new Set((await this.executed()).map(row => row.name))
    return (await this.discover()).map(file => file.name).filter(name => !applied.has(name))
  }

  /** Rows of the meta table, oldest first (none before the first migration). */
  async executed (): Promise<AppliedMigration[]> {
    return await this.storage.rowsIfExists() ?? []
  }

  /** Every migration, applied, edited, missing or pending, in order. */
  async status (): Promise<MigrationStatus[]> {
    const [files, rows] = await Promise.all([this.discover(), this.executed()])
    const onDisk = new Set(files.map(f => f.name))
    const applied = new Map(rows.map(row => [row.name, row]))
    const edited = new Set(await this.editedAmong(rows, files))
    const names = [...new Set([...rows.map(r => r.name), ...files.map(f => f.name)])].sort()
    return names.map((name): MigrationStatus => {
      const row = applied.get(name)
      const times = { executedAt: row?.executedAt ?? null, durationMs: row?.durationMs ?? null }
      if (row === undefined) return { name, state: 'pending', ...times }
      if (!onDisk.has(name)) return { name, state: 'missing', ...times }
      return { name, state: edited.has(name) ? 'edited' : 'applied', ...times }
    })
  }

  /** Names of applied migrations whose file no longer has the checksum recorded when they ran. */
  private async editedAmong (rows: AppliedMigration[], files: MigrationFile[]): Promise<string[]> {
    const recorded = new Map(rows.map(row => [row.name, row.checksum]))
    const checks = await Promise.all(files.map(async file => {
      const checksum = recorded.get(file.name)
      return checksum !== undefined && checksum !== null && checksum !== await migrationChecksum(file) ? file.name : undefined
    }))
    return checks.filter((name): name is string => name !== undefined)
  }

  /**
   * The SQL that `up` would run, without applying it: the pending migrations run in one
   * transaction that is rolled back. A migration that runs outside a transaction (and every one
   * after it, which may depend on it) can't be previewed and is reported as such.
   */
  async plan (): Promise<PlannedMigration[]> {
    const pendingNames = new Set(await this.pending())
    const files = (await this.discover()).filter(f => pendingNames.has(f.name))
    const planned: PlannedMigration[] = []
    const transaction = await this.sequelize.transaction()
    try {
      let blockedBy: string | undefined
      for (const file of files) {
        const migration = await loadMigration(file)
        if (blockedBy !== undefined || migration.transaction === false) {
          blockedBy ??= file.name
          planned.push({ name: file.name, previewable: false, reason: blockedBy === file.name ? 'runs outside a transaction (transaction = false), so it cannot be rolled back' : `comes after ${blockedBy}, which cannot be previewed` })
          continue
        }
        const sql = await captureSql(this.sequelize, transaction, async () => {
          await refuseOutsideTransaction(this.sequelize, file.name, transaction, async () => {
            await migration.up({ name: file.name, context: this.contextFor(transaction) })
          })
        })
        planned.push({ name: file.name, previewable: true, sql })
      }
    } catch (err) {
      throw toMigrationError(files[planned.length]?.name ?? '(plan)', 'up', err)
    } finally {
      await transaction.rollback()
    }
    return planned
  }

  // Runs fn under the advisory lock (unless the lock is off). Resolves to undefined when skipped.
  private async locked<T> (fn: () => Promise<T>): Promise<T | undefined> {
    if (this.lockMode === false) {
      await this.storage.ensureTable()
      return await fn()
    }
    const lock = await MigrationLock.acquire(this.sequelize, this.storage.tableName, { mode: this.lockMode, timeoutMs: this.lockTimeout }, this.log)
    if (lock === undefined) return undefined
    this.lock = lock
    try {
      // The pending list is read again under the lock: another replica may just have migrated.
      await this.storage.ensureTable()
      return await fn()
    } finally {
      this.lock = undefined
      await lock.release()
    }
  }

  private async refuseEdited (): Promise<void> {
    const edited = (await this.status()).filter(m => m.state === 'edited')
    if (edited.length === 0) return
    const names = edited.map(m => m.name).join(', ')
    if (this.acceptEdited) {
      this.log.warn({ edited: edited.map(m => m.name) }, `applied migration file(s) changed since they ran: ${names} (accepted by acceptEditedMigrations)`)
      return
    }
    const first = edited[0]?.name as string
    const path = (await this.discover()).find(file => file.name === first)?.path ?? first
    throw new MigrationError(first, `Applied migration ${names} was edited after it ran (its checksum in ${this.storage.tableName} no longer matches ${path}). Restore the file and put the change in a new migration, or set acceptEditedMigrations: true if the edit is harmless (a comment, formatting).`, { code: 'ERR_COACH_DB_MIGRATION_EDITED' })
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
        throw toMigrationError(file.name, direction, err, transaction !== undefined)
      }
      // Commit only while the lock is still ours: a replica whose lock session died must not
      // record a migration another replica may be running now.
      await this.lock?.assertHeld()
      if (direction === 'up') {
        await this.storage.record({ name: file.name, durationMs: Math.round(performance.now() - started), checksum: await migrationChecksum(file) }, transaction)
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

const planning = new AsyncLocalStorage<string>()

/**
 * Runs a migration's `up` for `plan`, refusing (before it is sent) any statement of that migration
 * that does not use the plan's transaction: it could not be rolled back, so the preview would
 * really apply it. Queries an app sends meanwhile on the same Sequelize are not affected: the
 * check only applies inside this call's async context.
 */
async function refuseOutsideTransaction (sequelize: Sequelize, name: string, transaction: Transaction, fn: () => Promise<void>): Promise<void> {
  const hookName = `coach-db-plan-${name}`
  const refuse = (): MigrationError => new MigrationError(name, `Migration ${name} sends a statement outside its transaction, so "plan" cannot preview it without applying it; nothing was sent. Pass { transaction: context.transaction } (or use context.query).`, { code: 'ERR_COACH_DB_PLAN_UNSAFE' })
  // A statement in the plan's transaction uses that transaction's connection; asking the pool for
  // another one is the first sign of a statement outside it (and on PGlite, whose one session the
  // transaction holds, the only moment to stop it before it waits).
  sequelize.addHook('beforePoolAcquire', hookName, () => {
    if (planning.getStore() === name) throw refuse()
  })
  sequelize.addHook('beforeQuery', hookName, (options) => {
    if (planning.getStore() === name && options.transaction !== transaction) throw refuse()
  })
  try {
    await planning.run(name, fn)
  } finally {
    sequelize.removeHook('beforePoolAcquire', hookName)
    sequelize.removeHook('beforeQuery', hookName)
  }
}

async function loadMigration (file: MigrationFile): Promise<MigrationModule> {
  const mod = await import(pathToFileURL(file.path).href) as Partial<MigrationModule>
  if (typeof mod.up !== 'function' || typeof mod.down !== 'function') {
    throw new MigrationError(file.name, `Migration ${file.name} must export async functions "up" and "down" (${file.path}).`, { code: 'ERR_COACH_DB_MIGRATION_INVALID' })
  }
  return mod as MigrationModule
}

function toMigrationError (name: string, direction: string, err: unknown, rolledBack = true): MigrationError {
  if (err instanceof MigrationError) return err
  const parent = (err as { parent?: { code?: string }, original?: { code?: string } })
  const sqlState = parent.parent?.code ?? parent.original?.code
  const statement = (err as { sql?: string }).sql
  const reason = err instanceof Error ? err.message : String(err)
  const where = statement ? ` while running: ${truncate(statement)}` : ''
  const outcome = rolledBack
    ? 'Nothing of it was applied; fix the migration and run it again.'
    : 'It ran outside a transaction, so statements before the failing one stay applied; make it safe to re-run (IF NOT EXISTS) and run it again.'
  return new MigrationError(name, `Migration ${name} (${direction}) failed${sqlState ? ` [SQLSTATE ${sqlState}]` : ''}: ${reason}${where}. ${outcome}`, { cause: err, sqlState, statement })
}

function truncate (sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim()
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine
}
