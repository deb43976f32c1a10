import { BeforeBulkCreate, BelongsTo, Column, DataType, ForeignKey, HasMany, Model, Table } from 'sequelize-typescript'
import type { CreationOptional, NonAttribute } from 'sequelize'
import { User } from './user.js'
import { Message } from './message.js'
import { storableText, validateBulk } from './validation.js'

/** Allowed `conversations.status` values (`check_conversation_status`). */
export const CONVERSATION_STATUSES = ['active', 'archived'] as const
export type ConversationStatus = typeof CONVERSATION_STATUSES[number]

/** Columns of `conversations` as a plain object. */
export interface ConversationAttributes {
  id: string
  userId: string
  title: string | null
  status: ConversationStatus
  createdAt: Date
  updatedAt: Date
  shareToken: string | null
  shareEnabled: boolean
}

/** What `Conversation.create()` needs: status defaults to `active`, sharing to off. */
export type ConversationCreationAttributes = Pick<ConversationAttributes, 'userId'> & Partial<ConversationAttributes>

// `indexes` is declarative (nothing calls sync): the migrations create them, `coach-db check` compares.
@Table({ tableName: 'conversations', modelName: 'Conversation', underscored: true, timestamps: true, createdAt: 'createdAt', updatedAt: 'updatedAt', indexes: [{ name: 'idx_conversations_user', fields: ['user_id'] }, { name: 'idx_conversations_share_token', fields: ['share_token'], unique: true }] })
export class Conversation extends Model<ConversationAttributes, ConversationCreationAttributes> {
  // Filled in JS so a new instance knows its id before save; the database default covers raw SQL.
  @Column({ type: DataType.UUID, primaryKey: true, allowNull: false, defaultValue: DataType.UUIDV4 })
  declare id: CreationOptional<string>

  @ForeignKey(() => User)
  @Column({ type: DataType.UUID, allowNull: false })
  declare userId: string

  @Column({ type: DataType.STRING(255), allowNull: true, validate: { storable: storableText('title') } })
  declare title: string | null

  @Column({
    type: DataType.STRING(20),
    allowNull: false,
    defaultValue: 'active',
    validate: { isIn: { args: [[...CONVERSATION_STATUSES]], msg: `status must be one of ${CONVERSATION_STATUSES.join(', ')} (check_conversation_status)` } }
  })
  declare status: CreationOptional<ConversationStatus>

  // Timestamps are managed by Sequelize (table options); underscored maps them to created_at/updated_at.
  declare createdAt: CreationOptional<Date>

  declare updatedAt: CreationOptional<Date>

  @Column({ type: DataType.STRING(64), allowNull: true, validate: { storable: storableText('shareToken') }, unique: { name: 'idx_conversations_share_token', msg: 'shareToken is already used by another conversation (idx_conversations_share_token)' } })
  declare shareToken: string | null

  @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: false })
  declare shareEnabled: CreationOptional<boolean>

  @BelongsTo(() => User, { foreignKey: 'userId', onDelete: 'CASCADE' })
  declare user?: NonAttribute<User>

  @HasMany(() => Message, { foreignKey: 'conversationId', onDelete: 'CASCADE', hooks: false })
  declare messages?: NonAttribute<Message[]>

  @BeforeBulkCreate
  static async storableHook (conversations: Conversation[]): Promise<void> {
    await validateBulk(conversations, ['title', 'shareToken'])
  }
}
