import { BeforeBulkCreate, BeforeSave, BeforeValidate, Column, DataType, HasMany, Model, Table } from 'sequelize-typescript'
import type { CreationOptional, NonAttribute } from 'sequelize'
import { Session } from './session.js'
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

// `indexes` is declarative (nothing calls sync): the migrations create them, `coach-db check` compares.
@Table({ tableName: 'users', modelName: 'User', underscored: true, timestamps: true, createdAt: 'createdAt', updatedAt: false, indexes: [{ name: 'idx_users_email', fields: ['email'] }] })
export class User extends Model<UserAttributes, UserCreationAttributes> {
  // Filled in JS so a new instance knows its id before save; the database default covers raw SQL.
  @Column({ type: DataType.UUID, primaryKey: true, allowNull: false, defaultValue: DataType.UUIDV4 })
  declare id: CreationOptional<string>

  @Column({ type: DataType.STRING(255), allowNull: false, unique: { name: 'uq_users_email', msg: 'email is already registered (uq_users_email)' }, validate: { isEmail: { msg: 'email must be a valid email address' } } })
  declare email: string

  @Column({ type: DataType.STRING(255), allowNull: false, validate: { notEmpty: { msg: 'name must not be empty' } } })
  declare name: string

  @Column({
    type: DataType.STRING(20),
    allowNull: false,
    validate: { isIn: { args: [[...USER_ROLES]], msg: `role must be one of ${USER_ROLES.join(', ')} (check_user_role)` } }
  })
  declare role: UserRole

  @Column({ type: DataType.UUID, allowNull: true })
  declare organizationId: string | null

  @Column({ type: DataType.STRING(50), allowNull: true })
  declare ssoProvider: string | null

  @Column({ type: DataType.STRING(255), allowNull: true })
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
  static normalizeEmailsHook (users: User[]): void {
    for (const user of users) User.normalizeEmailHook(user)
  }
}
