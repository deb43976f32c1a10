import { Column, DataType, Model, Table } from 'sequelize-typescript'

/** A third version autogenerate must not guess: body narrowed, pinned renamed, a NOT NULL over NULLs. */
@Table({ tableName: 'notes', modelName: 'Note', underscored: true, timestamps: true, createdAt: 'created_at', updatedAt: false, indexes: [{ name: 'idx_notes_pinned', fields: ['is_pinned', 'created_at'] }] })
export class Note extends Model {
  @Column({ type: DataType.UUID, primaryKey: true, allowNull: false, defaultValue: DataType.UUIDV4 })
  declare id: string

  @Column({ type: DataType.STRING(20), allowNull: false })
  declare body: string

  @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: false })
  declare isPinned: boolean

  @Column({ type: DataType.STRING(40), allowNull: false })
  declare author: string
}
