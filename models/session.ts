import { BelongsTo, Column, DataType, ForeignKey, Model, Table } from 'sequelize-typescript'
import { QueryTypes, type CreationOptional, type NonAttribute, type Transaction } from 'sequelize'
import { User } from './user.js'

/** Columns of `sessions` as a plain object. */
export interface SessionAttributes {
  id: string
  userId: string
  expiresAt: Date
  createdAt: Date
  lastAccessedAt: Date
}

/** Options of {@link Session.purgeExpired}. */
export interface PurgeExpiredOptions {
  /** Sessions deleted per statement (one short DELETE each). Default 1000. */
  batchSize?: number
  /** Stop after this many batches, even if expired sessions remain. Default: no limit. */
  maxBatches?: number
  /** Run the batches in this transaction (its owner commits). Default: each batch commits on its own. */
  transaction?: Transaction | null
  /** Checked between batches: stop early (the app is closing). */
  signal?: AbortSignal
}

/** What {@link Session.purgeExpired} removed. */
export interface PurgeExpiredResult {
  /** Sessions deleted. */
  deleted: number
  /** DELETE statements run (the last one may have deleted fewer than `batchSize`, or none). */
  batches: number
}

/** What `Session.create()` needs. */
export type SessionCreationAttributes = Pick<SessionAttributes, 'userId' | 'expiresAt'> & Partial<SessionAttributes>

// `indexes` is declarative (nothing calls sync): the migrations create them, `coach-db check` compares.
@Table({ tableName: 'sessions', modelName: 'Session', underscored: true, timestamps: true, createdAt: 'createdAt', updatedAt: false, indexes: [{ name: 'idx_sessions_user_id', fields: ['user_id'] }, { name: 'idx_sessions_expires_at', fields: ['expires_at'] }] })
export class Session extends Model<SessionAttributes, SessionCreationAttributes> {
  // Filled in JS so a new instance knows its id before save; the database default covers raw SQL.
  @Column({ type: DataType.UUID, primaryKey: true, allowNull: false, defaultValue: DataType.UUIDV4 })
  declare id: CreationOptional<string>

  @ForeignKey(() => User)
  @Column({ type: DataType.UUID, allowNull: false })
  declare userId: string

  @Column({ type: DataType.DATE, allowNull: false })
  declare expiresAt: Date

  // Timestamps are managed by Sequelize (table options); underscored maps them to created_at/updated_at.
  declare createdAt: CreationOptional<Date>

  @Column({ type: DataType.DATE, allowNull: false, defaultValue: DataType.NOW })
  declare lastAccessedAt: CreationOptional<Date>

  @BelongsTo(() => User, { foreignKey: 'userId', onDelete: 'CASCADE' })
  declare user?: NonAttribute<User>

  /**
   * Deletes expired sessions (`expires_at < now()`) in batches of `batchSize`, oldest first,
   * walking `idx_sessions_expires_at`. Each batch is one short statement that commits on its own
   * (unless a `transaction` is passed), so no lock is held for long; rows another transaction has
   * locked (a request touching its session) are skipped, not waited for, and go in a later run.
   */
  static async purgeExpired (options: PurgeExpiredOptions = {}): Promise<PurgeExpiredResult> {
    const batchSize = options.batchSize ?? 1000
    const maxBatches = options.maxBatches ?? Infinity
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`purgeExpired: batchSize must be a whole number >= 1 (got ${String(batchSize)})`)
    if (maxBatches !== Infinity && (!Number.isInteger(maxBatches) || maxBatches < 1)) throw new RangeError(`purgeExpired: maxBatches must be a whole number >= 1 (got ${String(maxBatches)})`)
    const sequelize = this.sequelize!
    const table = sequelize.getQueryInterface().quoteIdentifier(this.tableName)
    // ORDER BY expires_at + LIMIT makes the inner SELECT an index scan on idx_sessions_expires_at
    // that stops after n rows; SKIP LOCKED keeps the DELETE from queueing behind live requests.
    const sql = `WITH gone AS (DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE expires_at < now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING 1) SELECT count(*)::int AS n FROM gone`
    let deleted = 0
    let batches = 0
    while (batches < maxBatches && options.signal?.aborted !== true) {
      const rows = await sequelize.query<{ n: number }>(sql, { bind: [batchSize], type: QueryTypes.SELECT, ...(options.transaction !== undefined ? { transaction: options.transaction } : {}) })
      const n = rows[0]?.n ?? 0
      deleted += n
      batches++
      if (n < batchSize) break
    }
    return { deleted, batches }
  }
}
