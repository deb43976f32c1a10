import { Column, DataType, Model, Table } from 'sequelize-typescript'

/** The same app model, second version: a `pinned` column and an index on it. */
@Table({ tableName: 'notes', modelName: 'Note', underscored: true, timestamps: true, createdAt: 'created_at', updatedAt: false, indexes: [{ name: 'idx_notes_pinned', fields: ['pinned', 'created_at'] }] })
export class Note extends Model {
  @Column({ type: DataType.UUID, primaryKey: true, allowNull: false, defaultValue: DataType.UUIDV4 })
  declare id: string

  @Column({ type: DataType.TEXT, allowNull: false })
  declare body: string

  @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: false })
  declare pinned: boolean
}
