import { Column, DataType, Model, Table } from 'sequelize-typescript'

/** An app model, first version: notes with a body. (COACH_DB_MODELS in test/autogenerate.test.ts) */
@Table({ tableName: 'notes', modelName: 'Note', underscored: true, timestamps: true, createdAt: 'created_at', updatedAt: false })
export class Note extends Model {
  @Column({ type: DataType.UUID, primaryKey: true, allowNull: false, defaultValue: DataType.UUIDV4 })
  declare id: string

  @Column({ type: DataType.TEXT, allowNull: false })
  declare body: string
}
