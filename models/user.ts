import { BeforeBulkCreate, BeforeBulkDestroy, BeforeBulkUpdate, BeforeCount, BeforeFind, BeforeSave, BeforeValidate, Column, DataType, HasMany, Model, Table } from 'sequelize-typescript'
import { Op, type Model as SequelizeModel, type Attributes, type CreationAttributes, type CreationOptional, type FindOrCreateOptions, type ModelStatic, type NonAttribute, type WhereOptions } from 'sequelize'
import { Session } from './session.js'
import { storableText, validateBulk } from './validation.js'
import { Conversation } from './conversation.js'

/** Allowed `users.role` values; the database enforces the same list (`check_user_role`). */
export const USER_ROLES = ['educator', 'coach', 'admin'] as const
export type UserRole = typeof USER_ROLES[number]

/** Columns of `users` as a plain object (what `raw: true` queries and `toJSON()` return). */
export interface UserAttributes {
  id: string
  email: string
  name: string
  role: UserRole
  organizationId: string | null
  ssoProvider: string | null
  ssoId: string | null
  createdAt: Date
  lastLogin: Date | null
}

/** What `User.create()` needs: `id` and `createdAt` are filled on save. */
export type UserCreationAttributes = Pick<UserAttributes, 'email' | 'name' | 'role'> & Partial<UserAttributes>

/** Trims and lower-cases an email, the form in which `users.email` is stored and compared. */
export function normalizeEmail (email: string): string {
  return email.trim().toLowerCase()
}

// Operators whose operand is an address (or a list of them) and so is compared in stored form.
// Patterns (Op.like, Op.iLike, …) are left alone: they are the caller's to write.
const EQUALITY_OPS = [Op.eq, Op.ne, Op.in, Op.notIn]
const LOGICAL_OPS = [Op.and, Op.or, Op.not]

function normalizeOperand (value: unknown): unknown {
  if (typeof value === 'string') return normalizeEmail(value)
  if (Array.isArray(value)) return value.map(v => typeof v === 'string' ? normalizeEmail(v) : v)
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string | symbol, unknown> = { ...value }
    for (const op of EQUALITY_OPS) if (op in copy) copy[op] = normalizeOperand(copy[op])
    return copy
  }
  return value
}

/**
 * `where` with every email value in the stored form (trimmed, lower case): `email: ' A@B.org'`,
 * `{ [Op.eq]: … }`, `{ [Op.in]: […] }`, also inside `Op.and`/`Op.or`/`Op.not`. Anything else
 * (literals, `fn`, patterns) is returned as it is.
 */
export function normalizeEmailWhere<T> (where: T): T {
  if (where === null || typeof where !== 'object' || Object.getPrototypeOf(where) !== Object.prototype) return where
  const copy: Record<string | symbol, unknown> = { ...(where as Record<string | symbol, unknown>) }
  if ('email' in copy) copy.email = normalizeOperand(copy.email)
  for (const op of LOGICAL_OPS) {
    const inner = copy[op]
    if (Array.isArray(inner)) copy[op] = inner.map(w => normalizeEmailWhere(w))
    else if (inner !== undefined) copy[op] = normalizeEmailWhere(inner)
  }
  return copy as T
}

/**
 * Options of {@link User.findOrCreate}: Sequelize's, with `defaults` partial, since `where`
 * supplies the rest (the email, typically).
 */
export type EmailFindOrCreateOptions<M extends SequelizeModel> = Omit<FindOrCreateOptions<Attributes<M>, CreationAttributes<M>>, 'defaults'> & { defaults?: Partial<CreationAttributes<M>> }

// `indexes` is declarative (nothing calls sync): the migrations create them, `coach-db check` compares.
@Table({ tableName: 'users', modelName: 'User', underscored: true, timestamps: true, createdAt: 'createdAt', updatedAt: false, indexes: [{ name: 'idx_users_email', fields: ['email'] }] })
export class User extends Model<UserAttributes, UserCreationAttributes> {
  // Filled in JS so a new instance knows its id before save; the database default covers raw SQL.
  @Column({ type: DataType.UUID, primaryKey: true, allowNull: false, defaultValue: DataType.UUIDV4 })
  declare id: CreationOptional<string>

  @Column({ type: DataType.STRING(255), allowNull: false, unique: { name: 'uq_users_email', msg: 'email is already registered (uq_users_email)' }, validate: { isEmail: { msg: 'email must be a valid email address' } } })
  declare email: string

  @Column({ type: DataType.STRING(255), allowNull: false, validate: { notEmpty: { msg: 'name must not be empty' }, storable: storableText('name') } })
  declare name: string

  @Column({
    type: DataType.STRING(20),
    allowNull: false,
    validate: { isIn: { args: [[...USER_ROLES]], msg: `role must be one of ${USER_ROLES.join(', ')} (check_user_role)` } }
  })
  declare role: UserRole

  @Column({ type: DataType.UUID, allowNull: true })
  declare organizationId: string | null

  @Column({ type: DataType.STRING(50), allowNull: true, validate: { storable: storableText('ssoProvider') } })
  declare ssoProvider: string | null

  @Column({ type: DataType.STRING(255), allowNull: true, validate: { storable: storableText('ssoId') } })
  declare ssoId: string | null

  // Timestamps are managed by Sequelize (table options); underscored maps them to created_at/updated_at.
  declare createdAt: CreationOptional<Date>

  @Column({ type: DataType.DATE, allowNull: true })
  declare lastLogin: Date | null

  @HasMany(() => Session, { foreignKey: 'userId', onDelete: 'CASCADE', hooks: false })
  declare sessions?: NonAttribute<Session[]>

  @HasMany(() => Conversation, { foreignKey: 'userId', onDelete: 'CASCADE', hooks: false })
  declare conversations?: NonAttribute<Conversation[]>

  // Normalised before validation (so isEmail sees the stored form) and again before save, for
  // callers that skip validation.
  @BeforeValidate
  @BeforeSave
  static normalizeEmailHook (user: User): void {
    if (typeof user.email === 'string') user.email = normalizeEmail(user.email)
  }

  @BeforeBulkCreate
  static async normalizeEmailsHook (users: User[]): Promise<void> {
    for (const user of users) User.normalizeEmailHook(user)
    await validateBulk(users, ['name', 'ssoProvider', 'ssoId'])
  }

  // Lookups compare in the stored form too, so `findOne({ where: { email: ' A@B.org' } })` finds
  // a@b.org: the unique index is on the normalised column, and a case-insensitive comparison in
  // SQL (lower(email)) would not use it.
  @BeforeFind
  @BeforeCount
  @BeforeBulkDestroy
  static normalizeEmailLookupHook (options: { where?: WhereOptions }): void {
    if (options.where !== undefined) options.where = normalizeEmailWhere(options.where)
  }

  // A bulk update (`User.update({ email }, { where })`) runs no instance hooks: normalise the new
  // value here as well as the lookup.
  @BeforeBulkUpdate
  static normalizeEmailUpdateHook (options: { where?: WhereOptions, attributes?: { email?: unknown } }): void {
    User.normalizeEmailLookupHook(options)
    if (typeof options.attributes?.email === 'string') options.attributes.email = normalizeEmail(options.attributes.email)
  }

  /**
   * Sequelize's findOrCreate compares the `where` it was given with the row it created and
   * throws a generic Error when they differ, which a normalised email always did for an address
   * in another case: it sees the normalised `where` instead.
   */
  static override async findOrCreate<M extends SequelizeModel> (this: ModelStatic<M>, options: EmailFindOrCreateOptions<M>): Promise<[M, boolean]> {
    return await Model.findOrCreate.call(this, { ...options, where: normalizeEmailWhere(options.where) } as never) as [M, boolean]
  }

  /** As {@link User.findOrCreate}, for Sequelize's findCreateFind. */
  static override async findCreateFind<M extends SequelizeModel> (this: ModelStatic<M>, options: EmailFindOrCreateOptions<M>): Promise<[M, boolean]> {
    return await Model.findCreateFind.call(this, { ...options, where: normalizeEmailWhere(options.where) } as never) as [M, boolean]
  }
}
