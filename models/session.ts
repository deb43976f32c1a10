import { BelongsTo, Column, DataType, ForeignKey, Model, Table } from 'sequelize-typescript'
import type { CreationOptional, NonAttribute } from 'sequelize'
import { User } from './user.js'

/** Columns of `sessions` as a plain object. */
export interface SessionAttributes {
  id: string
  userId: string
  expiresAt: Date
  createdAt: Date
  lastAccessedAt: Date
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
}
