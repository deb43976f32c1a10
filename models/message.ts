import { BeforeBulkCreate, BelongsTo, Column, DataType, ForeignKey, Model, Table } from 'sequelize-typescript'
import { QueryTypes, type CreationOptional, type ModelValidateOptions, type NonAttribute, type Transaction } from 'sequelize'
import { Conversation } from './conversation.js'
import { OptionsError } from '../lib/errors.js'
import { readableCitations, validateBulk, validateCitations, validateDomains, storableText, wholeNumber } from './validation.js'
import { RECENT_AFTER_SQL, RECENT_FIRST_SQL, decodeCursor, encodeCursor } from './recent-messages.js'
import { POST_MESSAGE_SQL } from './post-message.js'

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
  createdAt: Date
}

/** What `Message.create()` needs. */
export type MessageCreationAttributes = Pick<MessageAttributes, 'conversationId' | 'role' | 'content'> & Partial<Omit<MessageAttributes, 'costUsd'>> & { costUsd?: string | number | null }

/** Options of {@link Message.recent}. */
export interface RecentMessagesOptions {
  /** How many messages, 1 to 500. Default 50. */
  limit?: number
  /** The previous page's `nextCursor`: only messages older than the last one of that page. */
  cursor?: string
}

/** One page of {@link Message.recent}: messages newest first, and the cursor of the next (older) page. */
export interface RecentMessagesPage {
  messages: MessageAttributes[]
  /** Pass as `cursor` for the next page; null when this page is the last. Opaque: do not parse it. */
  nextCursor: string | null
}

/** What {@link Message.post} needs: the message without its conversation (given apart). */
export type PostedMessageValues = Omit<MessageCreationAttributes, 'conversationId'>

/** Options of {@link Message.post}. */
export interface PostMessageOptions {
  /** Run inside this transaction. Without it the post is one statement, atomic by itself (a route's request transaction is joined as every model call joins it). */
  transaction?: Transaction
}

/** What {@link Message.post} did: the new message, or why it posted nothing. */
export type PostMessageResult =
  | { outcome: 'posted', message: MessageAttributes }
  | { outcome: 'not-found' }
  | { outcome: 'archived' }

const nonNegativeTokens = (field: string): ModelValidateOptions => ({
  wholeNumber: wholeNumber(field),
  min: { args: [0] as const, msg: 'token counts must be >= 0 (check_message_tokens)' },
  max: { args: [2_147_483_647] as const, msg: 'token counts must be <= 2147483647 (integer column)' }
})

// What bulkCreate checks even with validate: false (see validateBulk).
const STORABLE_FIELDS = ['content', 'citations', 'domains', 'feedbackScore', 'inputTokens', 'outputTokens']

// `indexes` is declarative (nothing calls sync): the migrations create them, `coach-db check` compares.
@Table({ tableName: 'messages', modelName: 'Message', underscored: true, timestamps: true, createdAt: 'createdAt', updatedAt: false, indexes: [{ name: 'idx_messages_conversation', fields: ['conversation_id', 'created_at'] }] })
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

  @Column({ type: DataType.TEXT, allowNull: false, validate: { storable: storableText('content') } })
  declare content: string

  /**
   * At most CITATIONS_MAX_DEPTH levels and CITATIONS_MAX_BYTES of JSON; no NUL or lone surrogate.
   * A deeper document written by SQL reads as null (see readableCitations).
   */
  @Column({
    type: DataType.JSONB,
    allowNull: true,
    validate: { storable: validateCitations },
    get (this: Message): Citations | null { return readableCitations(this.getDataValue('citations')) }
  })
  declare citations: Citations | null

  @Column({ type: DataType.ARRAY(DataType.TEXT), allowNull: true, validate: { storable: validateDomains } })
  declare domains: string[] | null

  @Column({
    type: DataType.SMALLINT,
    allowNull: true,
    validate: {
      allowed (value: unknown): void {
        if (value != null && !(FEEDBACK_SCORES as readonly unknown[]).includes(value)) throw new Error('feedbackScore must be -1, 1 or null (check_message_feedback)')
      }
    }
  })
  declare feedbackScore: FeedbackScore | null

  @Column({ type: DataType.INTEGER, allowNull: true, validate: nonNegativeTokens('inputTokens') })
  declare inputTokens: number | null

  @Column({ type: DataType.INTEGER, allowNull: true, validate: nonNegativeTokens('outputTokens') })
  declare outputTokens: number | null

  @Column({ type: DataType.DECIMAL(12, 6), allowNull: true })
  declare costUsd: string | null

  // Timestamps are managed by Sequelize (table options); underscored maps them to created_at/updated_at.
  declare createdAt: CreationOptional<Date>

  @BelongsTo(() => Conversation, { foreignKey: 'conversationId', onDelete: 'CASCADE' })
  declare conversation?: NonAttribute<Conversation>

  @BeforeBulkCreate
  static async storableHook (messages: Message[]): Promise<void> {
    await validateBulk(messages, STORABLE_FIELDS)
  }

  /**
   * A page of a conversation's messages, newest first, as plain rows with the model's attribute
   * names: the hot read path of a chat UI. Keyset paging over (created_at, id), so every message
   * is returned exactly once however many share a timestamp; one query on
   * `idx_messages_conversation` and no model instances, because building them costs more than the
   * query itself (see the README's numbers). A cursor not issued here is a `ValidationError` on
   * `cursor`. A `citations` document deeper than CITATIONS_MAX_DEPTH (written by SQL) reads as null.
   */
  static async recent (conversationId: string, options: RecentMessagesOptions = {}): Promise<RecentMessagesPage> {
    const limit = options.limit ?? 50
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new OptionsError(`Message.recent: limit must be a whole number from 1 to 500 (got ${String(limit)}).`)
    }
    const sequelize = this.sequelize
    if (sequelize === undefined) throw new OptionsError('Message.recent must be called on a bound model: app.db.models.Message.recent(…).')
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor)
    // One row more than asked says whether there is a next page without a second query.
    const rows = await sequelize.query<MessageAttributes & { cursorAt?: string }>(after === undefined ? RECENT_FIRST_SQL : RECENT_AFTER_SQL, {
      type: QueryTypes.SELECT,
      bind: after === undefined ? [conversationId, limit + 1] : [conversationId, limit + 1, after.createdAt, after.id]
    })
    const more = rows.length > limit
    if (more) rows.length = limit
    const last = rows[rows.length - 1]
    const nextCursor = more && last !== undefined ? encodeCursor({ createdAt: `${last.cursorAt as string}Z`, id: last.id }) : null
    for (const row of rows) {
      delete row.cursorAt
      if (row.citations !== null) row.citations = readableCitations(row.citations)
    }
    return { messages: rows, nextCursor }
  }

  /**
   * Posts a message to a conversation and touches the conversation's `updatedAt`, the chat write
   * path: one statement that locks the conversation's row, inserts unless the conversation is
   * archived, and returns the new row with the model's attribute names. The values are validated
   * exactly as `Message.create` validates them (same `ValidationError`s), before anything is sent.
   * Costs one round trip instead of three model calls in a transaction (see the README's
   * "Writes"); use `Message.create` where you need hooks or an instance.
   */
  static async post (conversationId: string, values: PostedMessageValues, options: PostMessageOptions = {}): Promise<PostMessageResult> {
    const sequelize = this.sequelize
    if (sequelize === undefined) throw new OptionsError('Message.post must be called on a bound model: app.db.models.Message.post(…).')
    // build() applies the defaults (the id) and validate() runs the model's validators: the errors
    // a caller sees are Message.create's own.
    const message = this.build({ ...values, conversationId })
    await message.validate()
    const v = message.get({ plain: true }) as MessageAttributes
    const [row] = await sequelize.query<MessageAttributes & { conversationStatus: string | null }>(POST_MESSAGE_SQL, {
      type: QueryTypes.SELECT,
      // A write: never a read replica, whatever Sequelize reads into a statement's type.
      useMaster: true,
      ...(options.transaction !== undefined ? { transaction: options.transaction } : {}),
      bind: [conversationId, v.id, v.role, v.content, v.citations == null ? null : JSON.stringify(v.citations), v.domains ?? null, v.feedbackScore ?? null, v.inputTokens ?? null, v.outputTokens ?? null, v.costUsd == null ? null : String(v.costUsd), v.createdAt ?? new Date()]
    })
    if (row === undefined || row.conversationStatus === null) return { outcome: 'not-found' }
    if (row.id === null) return { outcome: 'archived' }
    const { conversationStatus: _status, ...posted } = row
    if (posted.citations !== null) posted.citations = readableCitations(posted.citations)
    return { outcome: 'posted', message: posted }
  }
}
