import { BelongsTo, Column, DataType, ForeignKey, Model, Table } from 'sequelize-typescript'
import { QueryTypes, type CreationOptional, type NonAttribute } from 'sequelize'
import { Conversation } from './conversation.js'
import { OptionsError } from '../lib/errors.js'

/** Allowed `messages.role` values (`check_message_role`). */
export const MESSAGE_ROLES = ['user', 'assistant', 'system'] as const
export type MessageRole = typeof MESSAGE_ROLES[number]

/** Allowed `messages.feedback_score` values besides null (`check_message_feedback`). */
export const FEEDBACK_SCORES = [-1, 1] as const
export type FeedbackScore = typeof FEEDBACK_SCORES[number]

/** One source an assistant answer cites. Extra keys are kept as they are. */
export interface CitationSource {
  title?: string
  url?: string
  relevance?: number
  [key: string]: unknown
}

/** The `messages.citations` JSONB document. */
export interface Citations {
  sources?: CitationSource[]
  confidence?: number
  [key: string]: unknown
}

/** Columns of `messages` as a plain object. `costUsd` is a string: numeric(12,6) is exact. */
export interface MessageAttributes {
  id: string
  conversationId: string
  role: MessageRole
  content: string
  citations: Citations | null
  domains: string[] | null
  feedbackScore: FeedbackScore | null
  inputTokens: number | null
  outputTokens: number | null
  costUsd: string | null
  created_at: Date
}

/** What `Message.create()` needs. */
export type MessageCreationAttributes = Pick<MessageAttributes, 'conversationId' | 'role' | 'content'> & Partial<Omit<MessageAttributes, 'costUsd'>> & { costUsd?: string | number | null }

/** Options of {@link Message.recent}. */
export interface RecentMessagesOptions {
  /** How many messages, 1 to 500. Default 50. */
  limit?: number
  /** Only messages created strictly before this time (the `created_at` of the last one a client has). */
  before?: Date
}

const RECENT_COLUMNS = `id, conversation_id AS "conversationId", role, content, citations, domains,
  feedback_score AS "feedbackScore", input_tokens AS "inputTokens", output_tokens AS "outputTokens",
  cost_usd AS "costUsd", created_at`
const RECENT_SQL = `SELECT ${RECENT_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC LIMIT $2`
const RECENT_BEFORE_SQL = `SELECT ${RECENT_COLUMNS} FROM messages WHERE conversation_id = $1 AND created_at < $3 ORDER BY created_at DESC LIMIT $2`

const nonNegativeTokens = { min: { args: [0] as const, msg: 'token counts must be >= 0 (check_message_tokens)' }, isInt: { msg: 'token counts must be whole numbers' } }

// `indexes` is declarative (nothing calls sync): the migrations create them, `coach-db check` compares.
@Table({ tableName: 'messages', modelName: 'Message', underscored: true, timestamps: true, createdAt: 'created_at', updatedAt: false, indexes: [{ name: 'idx_messages_conversation', fields: ['conversation_id', 'created_at'] }] })
export class Message extends Model<MessageAttributes, MessageCreationAttributes> {
  // Filled in JS so a new instance knows its id before save; the database default covers raw SQL.
  @Column({ type: DataType.UUID, primaryKey: true, allowNull: false, defaultValue: DataType.UUIDV4 })
  declare id: CreationOptional<string>

  @ForeignKey(() => Conversation)
  @Column({ type: DataType.UUID, allowNull: false })
  declare conversationId: string

  @Column({
    type: DataType.STRING(20),
    allowNull: false,
    validate: { isIn: { args: [[...MESSAGE_ROLES]], msg: `role must be one of ${MESSAGE_ROLES.join(', ')} (check_message_role)` } }
  })
  declare role: MessageRole

  @Column({ type: DataType.TEXT, allowNull: false })
  declare content: string

  @Column({ type: DataType.JSONB, allowNull: true })
  declare citations: Citations | null

  @Column({ type: DataType.ARRAY(DataType.TEXT), allowNull: true })
  declare domains: string[] | null

  @Column({
    type: DataType.SMALLINT,
    allowNull: true,
    validate: { isIn: { args: [[...FEEDBACK_SCORES]], msg: 'feedback_score must be -1, 1 or null (check_message_feedback)' } }
  })
  declare feedbackScore: FeedbackScore | null

  @Column({ type: DataType.INTEGER, allowNull: true, validate: nonNegativeTokens })
  declare inputTokens: number | null

  @Column({ type: DataType.INTEGER, allowNull: true, validate: nonNegativeTokens })
  declare outputTokens: number | null

  @Column({ type: DataType.DECIMAL(12, 6), allowNull: true })
  declare costUsd: string | null

  // The timestamp attribute is named by the table option (createdAt: 'created_at').
  declare created_at: CreationOptional<Date>

  @BelongsTo(() => Conversation, { foreignKey: 'conversationId', onDelete: 'CASCADE' })
  declare conversation?: NonAttribute<Conversation>

  /**
   * The newest messages of a conversation, newest first, as plain rows with the model's attribute
   * names: the hot read path of a chat UI. One query on `idx_messages_conversation` and no model
   * instances, because building them costs more than the query itself (see the README's numbers).
   */
  static async recent (conversationId: string, options: RecentMessagesOptions = {}): Promise<MessageAttributes[]> {
    const limit = options.limit ?? 50
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new OptionsError(`Message.recent: limit must be a whole number from 1 to 500 (got ${String(limit)}).`)
    }
    const sequelize = this.sequelize
    if (sequelize === undefined) throw new OptionsError('Message.recent must be called on a bound model: app.db.models.Message.recent(…).')
    const before = options.before
    return await sequelize.query<MessageAttributes>(before === undefined ? RECENT_SQL : RECENT_BEFORE_SQL, {
      type: QueryTypes.SELECT,
      bind: before === undefined ? [conversationId, limit] : [conversationId, limit, before]
    })
  }
}
