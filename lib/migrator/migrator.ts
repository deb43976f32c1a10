import { AsyncLocalStorage } from 'node:async_hooks'
import { pathToFileURL } from 'node:url'
import { QueryTypes, type Transaction } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { MigrationError, OptionsError } from '../errors.js'
import { silentLogger, type Logger } from '../logger.js'
import { discoverMigrations } from './discover.js'
import { defaultMigrationFolders } from './folders.js'
import { SchemaMigrationsStorage } from './storage.js'
import { MigrationLock, type LockCheckQuery } from './lock.js'
import type { DedicatedConnection } from '../connection/pg-driver.js'
import { migrationChecksum } from './checksum.js'
import { captureSql } from './capture-sql.js'
import { DEFAULT_ACCEPT_EDITED_MIGRATIONS, DEFAULT_LOCK_TIMEOUT, DEFAULT_META_TABLE, DEFAULT_MIGRATION_LOCK } from '../defaults.js'
import type { AppliedMigration, MigrationContext, MigrationFile, MigrationLockMode, MigrationModule, MigrationStatus, MigratorOptions, PlannedMigration } from './types.js'

export { DEFAULT_META_TABLE, DEFAULT_LOCK_TIMEOUT }

/** What `down` reverts: one step (default), `step` steps, or everything after `to` (`0` = all). */
export interface DownOptions {
  step?: number
  to?: string | 0
}

/** What `up` applies, and where it may read first. */
export interface UpOptions {
  /** Apply the pending migrations up to and including this one (default: all). */
  to?: string
  /**
   * An open connection to the migrations' database to read the meta table on first, instead of
   * through the pool (the plugin passes the one start-up verified the database with, so an
   * up-to-date schema is settled before the pool's first connection is set up). Only read on;
   * the caller keeps it. The lock, when something is pending, has a connection of its own.
   */
  connection?: DedicatedConnection
}

/** What `up` did: the names applied, and whether it stood aside for another process (`skip`). */
export interface UpResult {
  applied: string[]
  /** `true` when lock mode `skip` found another process migrating, so nothing was tried. */
  skipped: boolean
}

/**
 * What the runner needs of the migration lock: lib/migrator/lock.ts provides it, and
 * {@link Migrator.acquireLock} is the one place that takes it.
 */
interface HeldLock {
  /** Throws when the lock's session has gone, so a migration commits only under the lock; reads through `query`. */
  assertHeld: (query: LockCheckQuery) => Promise<void>
  /** Frees the lock; never throws. */
  release: () => Promise<void>
}

/**
 * Runs the migrations of one or more folders against one Sequelize connection. Each migration
 * runs in its own transaction together with its row in the meta table; `up` and `down` hold an
 * advisory lock so that replicas starting together migrate once. The runner is ours rather than
 * umzug's: see migrations/README.md ("Why the runner is ours").
 */
export class Migrator {
  readonly sequelize: Sequelize
  private readonly storage: SchemaMigrationsStorage
  private readonly migrationsDir: string | readonly string[] | undefined
  private folderList: Promise<readonly string[]> | undefined
  private readonly log: Logger
  private readonly migrationLock: MigrationLockMode | false
  private readonly lockTimeout: number
  private readonly acceptEditedMigrations: boolean
  private lock: HeldLock | undefined

  constructor (sequelize: Sequelize, options: MigratorOptions & { log?: Logger } = {}) {
    this.sequelize = sequelize
    this.migrationsDir = options.migrationsDir
    this.log = options.log ?? silentLogger()
    refuseOldNames(options)
    // The plugin and the CLI pass resolved options; these fill in for a Migrator built directly.
    this.migrationLock = options.migrationLock ?? DEFAULT_MIGRATION_LOCK
    this.lockTimeout = options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT
    this.acceptEditedMigrations = options.acceptEditedMigrations ?? DEFAULT_ACCEPT_EDITED_MIGRATIONS
    this.storage = new SchemaMigrationsStorage(sequelize, options.tableName ?? DEFAULT_META_TABLE)
  }

  /** The meta table's name. */
  get tableName (): string {
    return this.storage.tableName
  }

  /**
   * Applies pending migrations (all, or up to and including `to`) under the migration lock.
   * Refuses when an applied migration's file was edited, unless `acceptEditedMigrations`. In lock mode
   * `skip`, returns `{ applied: [], skipped: true }` when another process is migrating.
   */
  async up (options: UpOptions = {}): Promise<UpResult> {
    // Every replica of a deployed service starts with nothing to do: one read of the meta table
    // settles that without the lock's extra connection. Nothing pending can't become pending
    // behind our back, so skipping the lock here is safe. The read and the listing of the
    // files (one listing and one checksum per file for the whole command) go together.
    const reading = this.storage.rowsIfExists(options.connection)
    reading.catch(() => {})
    const files = await this.discover()
    const checksums = checksumsOf(files)
    if (options.to !== undefined && !files.some(file => file.name === options.to)) {
      throw new OptionsError(`up: no migration named "${options.to}" in ${(await this.folders()).join(', ')}. Run "coach-db status" to list migration names.`)
    }
    // Checksummed while the read is under way: deciding "up to date" needs them.
    for (const file of files) checksums(file).catch(() => {})
    const before = await reading
    if (before !== undefined && pendingAmong(before, files).length === 0 && (this.acceptEditedMigrations || (await editedAmong(before, files, checksums)).length === 0)) {
      this.log.info({ applied: [] }, 'database schema is up to date')
      return { applied: [], skipped: false }
    }
    const applied = await this.locked(async () => {
      // Read again under the lock: another replica may just have migrated.
      const rows = await this.storage.rows()
      await this.refuseEdited(rows, files, checksums)
      let pending = pendingAmong(rows, files)
      if (options.to !== undefined) {
        const last = pending.findIndex(file => file.name === options.to)
        pending = last === -1 ? [] : pending.slice(0, last + 1)
      }
      for (const file of pending) await this.run(file, 'up', checksums)
      return pending.map(file => file.name)
    })
    if (applied === undefined) return { applied: [], skipped: true }
    this.log.info({ applied }, applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database schema is up to date')
    return { applied, skipped: false }
  }

  /** Reverts applied migrations, last applied first, under the migration lock. Returns the names reverted. */
  async down (options: DownOptions = {}): Promise<string[]> {
    if (options.step !== undefined && (!Number.isInteger(options.step) || options.step < 1)) {
      throw new OptionsError(`down: step must be a whole number >= 1 (got ${String(options.step)}).`)
    }
    const files = await this.discover()
    const names = await this.locked(async () => {
      // What to revert comes from the meta table (the database's own history), never from the
      // files that happen to be on disk: a folder left out must not shift `down` onto another
      // migration. Every file must be found before anything runs.
      const targets = toRevert(await this.storage.rows(), options)
      const byName = new Map(files.map(file => [file.name, file]))
      const missing = targets.filter(name => !byName.has(name))
      if (missing.length > 0) throw this.missingFiles(missing, (await this.folders()).join(', '))
      for (const name of targets) await this.run(byName.get(name) as MigrationFile, 'down')
      return targets
    })
    if (names !== undefined && names.length > 0) this.log.info({ reverted: names }, `reverted ${names.length} migration(s)`)
    return names ?? []
  }

  private missingFiles (missing: string[], folders: string): MigrationError {
    const one = missing.length === 1
    return new MigrationError(missing[0] as string, `Cannot revert ${missing.join(', ')}: ${this.storage.tableName} says ${one ? 'it was' : 'they were'} applied, but no file for ${one ? 'it' : 'them'} was found in ${folders}. Nothing was reverted. Add the folder that holds ${one ? 'it' : 'them'} (COACH_DB_MIGRATIONS_DIR, or the plugin's migrationsDir) and run again.`, { code: 'ERR_COACH_DB_MIGRATION_MISSING' })
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
    const [files, rows] = await Promise.all([this.discover(), this.executed()])
    return pendingAmong(rows, files).map(file => file.name)
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
    const edited = new Set(await editedAmong(rows, files, checksumsOf(files)))
    const names = [...new Set([...rows.map(r => r.name), ...files.map(f => f.name)])].sort()
    return names.map((name): MigrationStatus => {
      const row = applied.get(name)
      const times = { executedAt: row?.executedAt ?? null, durationMs: row?.durationMs ?? null }
      if (row === undefined) return { name, state: 'pending', ...times }
      if (!onDisk.has(name)) return { name, state: 'missing', ...times }
      return { name, state: edited.has(name) ? 'edited' : 'applied', ...times }
    })
  }

  /**
   * The SQL that `up` would run, without applying it: the pending migrations run in one
   * transaction that is rolled back. A migration that runs outside a transaction (and every one
   * after it, which may depend on it) can't be previewed and is reported as such.
   */
  async plan (): Promise<PlannedMigration[]> {
    const [all, rows] = await Promise.all([this.discover(), this.executed()])
    const files = pendingAmong(rows, all)
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
    if (this.migrationLock === false) {
      await this.storage.ensureTable()
      return await fn()
    }
    const lock = await this.acquireLock(this.migrationLock)
    if (lock === undefined) return undefined
    this.lock = lock
    try {
      await this.storage.ensureTable()
      return await fn()
    } finally {
      this.lock = undefined
      await lock.release()
    }
  }

  // The one call into lib/migrator/lock.ts.
  private async acquireLock (migrationLock: MigrationLockMode): Promise<HeldLock | undefined> {
    return await MigrationLock.acquire(this.sequelize, this.storage.tableName, { migrationLock, lockTimeout: this.lockTimeout }, this.log)
  }

  private async refuseEdited (rows: AppliedMigration[], files: MigrationFile[], checksums: Checksums): Promise<void> {
    const edited = await editedAmong(rows, files, checksums)
    if (edited.length === 0) return
    const names = edited.join(', ')
    if (this.acceptEditedMigrations) {
      this.log.warn({ edited }, `applied migration file(s) changed since they ran: ${names} (accepted by acceptEditedMigrations)`)
      return
    }
    const first = edited[0] as string
    const path = files.find(file => file.name === first)?.path ?? first
    throw new MigrationError(first, `Applied migration ${names} was edited after it ran (its checksum in ${this.storage.tableName} no longer matches ${path}). Restore the file and put the change in a new migration, or set acceptEditedMigrations: true if the edit is harmless (a comment, formatting).`, { code: 'ERR_COACH_DB_MIGRATION_EDITED' })
  }

  private async run (file: MigrationFile, direction: 'up' | 'down', checksums?: Checksums): Promise<void> {
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
      // record a migration another replica may be running now. Checked inside the migration's
      // transaction (see MigrationLock.assertHeld for why not on the lock's connection).
      await this.lock?.assertHeld(async (sql, bind) => await this.sequelize.query(sql, { bind, transaction, type: QueryTypes.SELECT }))
      if (direction === 'up') {
        const checksum = await (checksums ?? checksumsOf([file]))(file)
        await this.storage.record({ name: file.name, durationMs: Math.round(performance.now() - started), checksum }, transaction)
      } else {
        await this.storage.erase(file.name, transaction)
      }
    }
    try {
      if (migration.transaction === false) await apply(undefined)
      else await this.sequelize.transaction(async (transaction) => { await apply(transaction) })
    } catch (err) {
      throw toMigrationError(file.name, direction, err)
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
}

// Before the Migrator took the plugin's option names it called two of them `lock` and
// `acceptEdited`; a script still passing those would silently get the defaults.
function refuseOldNames (options: object): void {
  const renamed: Record<string, string> = { lock: 'migrationLock', acceptEdited: 'acceptEditedMigrations' }
  for (const [old, name] of Object.entries(renamed)) {
    if (old in options) throw new OptionsError(`Migrator option "${old}" is now "${name}", the plugin's name for it.`)
  }
}

/** Each file's checksum, computed at most once per command. */
type Checksums = (file: MigrationFile) => Promise<string>

function checksumsOf (files: MigrationFile[]): Checksums {
  const memo = new Map<string, Promise<string>>()
  return async (file) => {
    let sum = memo.get(file.path)
    if (sum === undefined) {
      sum = migrationChecksum(file)
      memo.set(file.path, sum)
    }
    return await sum
  }
}

function pendingAmong (rows: AppliedMigration[], files: MigrationFile[]): MigrationFile[] {
  const applied = new Set(rows.map(row => row.name))
  return files.filter(file => !applied.has(file.name))
}

/** Names of applied migrations whose file no longer has the checksum recorded when they ran. */
async function editedAmong (rows: AppliedMigration[], files: MigrationFile[], checksums: Checksums): Promise<string[]> {
  const recorded = new Map(rows.map(row => [row.name, row.checksum]))
  const checks = await Promise.all(files.map(async file => {
    const checksum = recorded.get(file.name)
    return checksum !== undefined && checksum !== null && checksum !== await checksums(file) ? file.name : undefined
  }))
  return checks.filter((name): name is string => name !== undefined)
}

// Applied migrations, last applied first, that `down` reverts for these options.
function toRevert (rows: AppliedMigration[], options: DownOptions): string[] {
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
