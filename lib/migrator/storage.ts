import { QueryTypes, type Transaction } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import type { AppliedMigration } from './types.js'
import { driverCode } from '../connection/connect.js'
import type { DedicatedConnection } from '../connection/pg-driver.js'

interface MetaRow {
  name: string
  executed_at: Date
  duration_ms: number | null
  checksum: string | null
}

/**
 * The meta table. Rows are written by the runner inside each migration's own transaction
 * ({@link record}, {@link erase}), so a migration and its row land together or not at all.
 */
export class SchemaMigrationsStorage {
  readonly tableName: string
  private readonly sequelize: Sequelize
  private readonly quotedTable: string

  constructor (sequelize: Sequelize, tableName: string) {
    this.sequelize = sequelize
    this.tableName = tableName
    this.quotedTable = sequelize.getQueryInterface().quoteIdentifier(tableName)
  }

  async ensureTable (): Promise<void> {
    try {
      await this.sequelize.query(`CREATE TABLE IF NOT EXISTS ${this.quotedTable} (
        name varchar(255) PRIMARY KEY,
        executed_at timestamptz NOT NULL DEFAULT now(),
        duration_ms integer,
        checksum varchar(64)
      )`)
    } catch (err) {
      // Two processes creating the table at the same moment: the loser sees a duplicate type.
      if (!isDuplicateObject(err)) throw err
    }
  }

  async record (row: { name: string, durationMs: number, checksum: string | null }, transaction?: Transaction): Promise<void> {
    await this.sequelize.query(
      `INSERT INTO ${this.quotedTable} (name, duration_ms, checksum) VALUES (:name, :durationMs, :checksum) ON CONFLICT (name) DO NOTHING`,
      { replacements: row, transaction }
    )
  }

  async erase (name: string, transaction?: Transaction): Promise<void> {
    await this.sequelize.query(`DELETE FROM ${this.quotedTable} WHERE name = :name`, { replacements: { name }, transaction })
  }

  async rows (): Promise<AppliedMigration[]> {
    await this.ensureTable()
    return await this.select()
  }

  /**
   * The rows, or `undefined` when the meta table does not exist yet; creates nothing. Read on
   * `connection` when one is given, else through the pool.
   */
  async rowsIfExists (connection?: DedicatedConnection): Promise<AppliedMigration[] | undefined> {
    try {
      return connection !== undefined ? (await connection.query(this.selectSql)).rows.map(row => fromMeta(row as unknown as MetaRow)) : await this.select()
    } catch (err) {
      if (driverCode(err) === '42P01') return undefined
      throw err
    }
  }

  private get selectSql (): string {
    return `SELECT name, executed_at, duration_ms, checksum FROM ${this.quotedTable} ORDER BY name`
  }

  private async select (): Promise<AppliedMigration[]> {
    const rows = await this.sequelize.query<MetaRow>(this.selectSql, { type: QueryTypes.SELECT })
    return rows.map(fromMeta)
  }
}

function fromMeta (row: MetaRow): AppliedMigration {
  return { name: row.name, executedAt: row.executed_at, durationMs: row.duration_ms, checksum: row.checksum }
}

function isDuplicateObject (err: unknown): boolean {
  const code = driverCode(err)
  return code === '23505' || code === '42P07'
}
