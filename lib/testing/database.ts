import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import pg from 'pg'
import { Migrator } from '../migrator/migrator.js'
import { DEFAULT_MIGRATIONS_DIR, discoverMigrations } from '../migrator/discover.js'
import { createSequelize } from '../connection/create-sequelize.js'
import { parseConnectionString } from '../connection/target.js'
import { silentLogger } from '../connection/logger.js'

/** The server tests use when nothing else is said: this machine's PostgreSQL, user postgres. */
export const DEFAULT_TEST_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

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
  migrationsDir?: string
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
  const adminUrl = options.adminUrl ?? testAdminUrl()
  const name = `coach_test_${randomBytes(6).toString('hex')}`
  const template = options.migrated === false ? undefined : await ensureTemplate(adminUrl, options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR)
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

async function ensureTemplate (adminUrl: string, migrationsDir: string): Promise<string> {
  const template = `coach_tpl_${await migrationsHash(migrationsDir)}`
  await withAdmin(adminUrl, async (client) => {
    // One process builds the template; parallel test files wait on this lock and then find it.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [template])
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template])
      if (rowCount === 0) await buildTemplate(adminUrl, client, template, migrationsDir)
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [template])
    }
  })
  return template
}

async function buildTemplate (adminUrl: string, client: pg.Client, template: string, migrationsDir: string): Promise<void> {
  const building = `${template}_building`
  await client.query(`DROP DATABASE IF EXISTS ${quote(building)} WITH (FORCE)`)
  await client.query(`CREATE DATABASE ${quote(building)}`)
  const { target, password } = parseConnectionString(databaseUrl(adminUrl, building), 'template URL')
  const sequelize = createSequelize({ target, password, pool: { max: 1, min: 0, acquire: 30_000, idle: 1_000 }, log: silentLogger() })
  try {
    await new Migrator(sequelize, { migrationsDir }).up()
  } finally {
    await sequelize.close()
  }
  // Renamed only when complete, so a crash never leaves a half-migrated template behind.
  await client.query(`ALTER DATABASE ${quote(building)} RENAME TO ${quote(template)}`)
}

async function migrationsHash (dir: string): Promise<string> {
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
