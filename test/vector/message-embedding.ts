import { Column, DataType, Model, Table } from 'sequelize-typescript'
import type { CreationOptional } from 'sequelize'
import { VECTOR } from '../../lib/vector.js'

/** The app model of docs/vector.md: `message_embeddings`, one vector(3) per message. */
@Table({ tableName: 'message_embeddings', modelName: 'MessageEmbedding', underscored: true, timestamps: true, createdAt: 'created_at', updatedAt: false })
export class MessageEmbedding extends Model<{ messageId: string, embedding: number[], created_at: Date }, { messageId: string, embedding: number[] }> {
  @Column({ type: DataType.UUID, primaryKey: true, allowNull: false })
  declare messageId: string

  @Column({ type: VECTOR(3), allowNull: false })
  declare embedding: number[]

  declare created_at: CreationOptional<Date>
}
