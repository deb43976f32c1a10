import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import pg from 'pg'
import { Migrator } from '../migrator/migrator.js'
import { defaultMigrationFolders } from '../migrator/folders.js'
import { discoverMigrations } from '../migrator/discover.js'
import { loadFixtures } from '../fixtures/load.js'
import { resolveAllRows } from '../fixtures/rows.js'
import { createEmbeddedTestDatabase, testEngine } from './embedded-database.js'
import { withSequelize } from '../connection/with-sequelize.js'
import { DEFAULT_TEST_ADMIN_URL } from '../defaults.js'

/** The server tests use when nothing else is said: this machine's PostgreSQL, user postgres. */
export { DEFAULT_TEST_ADMIN_URL }

/** A throwaway database for one test file. */
export interface TestDatabase {
  /** Database name, e.g. `coach_test_3f9a…`. */
  readonly name: string
  /** Connection string for it (same server and user as the admin URL). */
  readonly url: string
  /** Drops it, closing any connection still open to it. Safe to call twice. */
  drop: () => Promise<void>
}

/** Options of {@link createTestDatabase}. */
export interface CreateTestDatabaseOptions {
  /** A URL with rights to CREATE DATABASE. Default: env `TEST_DATABASE_URL`, else {@link DEFAULT_TEST_ADMIN_URL}. */
  adminUrl?: string
  /** Clone a database with every migration applied (default) or create an empty one. */
  migrated?: boolean
  /** Migrations to apply to the template. Default: the package's own. */
  migrationsDir?: string | readonly string[]
  /**
   * Also load the package's fixtures: the clone comes from a second template that has them, so a
   * file pays neither for migrations nor for `loadFixtures`. Get the rows by label with
   * `fixtures()`. Ignored when `migrated` is `false`.
   */
  fixtures?: boolean
}

/** The admin URL tests use: `TEST_DATABASE_URL`, else the local server. */
export function testAdminUrl (): string {
  return process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_ADMIN_URL
}

/**
 * Creates a fresh database for one test file. A migrated database is a `CREATE DATABASE …
 * TEMPLATE` copy of a template migrated once per set of migration files (its name carries their
 * hash), which costs tens of milliseconds instead of a full migration run, so parallel test files
 * each get their own state cheaply.
 */
export async function createTestDatabase (options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  // No PostgreSQL here and no TEST_DATABASE_URL: an in-memory PGlite per test file.
  if (options.adminUrl === undefined && await testEngine() === 'pglite') return await createEmbeddedTestDatabase(options)
  const adminUrl = options.adminUrl ?? testAdminUrl()
  const name = `coach_test_${randomBytes(6).toString('hex')}`
  const template = options.migrated === false ? undefined : await ensureTemplate(adminUrl, options.migrationsDir ?? (await defaultMigrationFolders()).dirs, options.fixtures === true)
  await withAdmin(adminUrl, async (client) => {
    await client.query(`CREATE DATABASE ${quote(name)}${template ? ` TEMPLATE ${quote(template)}` : ''}`)
  })
  let dropped = false
  return {
    name,
    url: databaseUrl(adminUrl, name),
    drop: async () => {
      if (dropped) return
      dropped = true
      await withAdmin(adminUrl, async (client) => { await client.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`) })
    }
  }
}

/** `adminUrl` with its database replaced by `database`. */
export function databaseUrl (adminUrl: string, database: string): string {
  const url = new URL(adminUrl)
  url.pathname = `/${encodeURIComponent(database)}`
  return url.toString()
}

async function ensureTemplate (adminUrl: string, migrationsDir: string | readonly string[], withFixtures: boolean): Promise<string> {
  const migrated = `coach_tpl_${await migrationsHash(migrationsDir)}`
  await ensureDatabase(adminUrl, migrated, async (building) => { await migrateInto(adminUrl, building, migrationsDir) })
  if (!withFixtures) return migrated
  const loaded = `coach_tplfx_${createHash('sha256').update(migrated).update(fixturesHash()).digest('hex').slice(0, 16)}`
  await ensureDatabase(adminUrl, loaded, async (building) => { await loadInto(adminUrl, building) }, migrated)
  return loaded
}

// One process builds a template; parallel test files wait on this lock and then find it.
async function ensureDatabase (adminUrl: string, name: string, fill: (building: string) => Promise<void>, from?: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name])
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
      if (rowCount !== 0) return
      const building = `${name}_building`
      await client.query(`DROP DATABASE IF EXISTS ${quote(building)} WITH (FORCE)`)
      await client.query(`CREATE DATABASE ${quote(building)}${from !== undefined ? ` TEMPLATE ${quote(from)}` : ''}`)
      await fill(building)
      // Renamed only when complete, so a crash never leaves a half-built template behind.
      await client.query(`ALTER DATABASE ${quote(building)} RENAME TO ${quote(name)}`)
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name])
    }
  })
}

async function migrateInto (adminUrl: string, database: string, migrationsDir: string | readonly string[]): Promise<void> {
  await withSequelize(databaseUrl(adminUrl, database), async (sequelize) => { await new Migrator(sequelize, { migrationsDir }).up() })
}

async function loadInto (adminUrl: string, database: string): Promise<void> {
  await withSequelize(databaseUrl(adminUrl, database), async (sequelize) => { await loadFixtures(sequelize) })
}

// The template's name carries this, so editing a fixture builds a new template.
function fixturesHash (): string {
  return createHash('sha256').update(JSON.stringify(resolveAllRows())).digest('hex')
}

async function migrationsHash (dir: string | readonly string[]): Promise<string> {
  const hash = createHash('sha256')
  for (const file of await discoverMigrations(dir)) {
    hash.update(file.name).update(await readFile(file.path))
  }
  return hash.digest('hex').slice(0, 16)
}

async function withAdmin<T> (adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

function quote (identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`
}
