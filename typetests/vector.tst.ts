import { expect, test } from 'tstyche'
import 'reflect-metadata'
import { Column, DataType, Model, Table } from 'sequelize-typescript'
import type { DataTypeAbstract, Transaction } from 'sequelize'
import { nearest, VECTOR, VECTOR_DISTANCES, type NearestOptions, type Neighbour, type VectorDistance } from '../lib/index.js'

@Table({ tableName: 'message_embeddings', underscored: true, timestamps: false })
class MessageEmbedding extends Model<{ messageId: string, embedding: number[] }> {
  @Column({ type: DataType.UUID, primaryKey: true })
  declare messageId: string

  @Column({ type: VECTOR(3), allowNull: false })
  declare embedding: number[]
}

test('VECTOR(n) is a column type; n is a number', () => {
  expect(VECTOR(1536)).type.toBe<DataTypeAbstract>()
  expect(VECTOR('1536')).type.toRaiseError()
  expect(VECTOR()).type.toRaiseError()
})

test('nearest() returns the rows with their distance', () => {
  const rows = nearest(MessageEmbedding, { column: 'embedding', to: [0.1, 0.2, 0.3] })
  expect(rows).type.toBe<Promise<Array<Neighbour<MessageEmbedding>>>>()
  expect<Neighbour<MessageEmbedding>>().type.toBe<{ messageId: string, embedding: number[] } & { distance: number }>()
  expect<Neighbour<MessageEmbedding>['distance']>().type.toBe<number>()
})

test('nearest() options: a known column, a number vector, k, a distance by name', () => {
  const transaction = {} as Transaction
  expect(nearest(MessageEmbedding, { column: 'embedding', to: [1, 2, 3], k: 5, distance: 'l2', transaction })).type.not.toRaiseError()
  expect(nearest(MessageEmbedding, { column: 'embedding', to: [1, 2, 3], distance: 'innerProduct' })).type.not.toRaiseError()
  expect(nearest(MessageEmbedding, { column: 'embeding', to: [1, 2, 3] })).type.toRaiseError('"embeding"')
  expect(nearest(MessageEmbedding, { column: 'embedding', to: ['1', '2', '3'] })).type.toRaiseError()
  expect(nearest(MessageEmbedding, { column: 'embedding', to: [1, 2, 3], k: '5' })).type.toRaiseError()
  expect(nearest(MessageEmbedding, { column: 'embedding', to: [1, 2, 3], distance: 'hamming' })).type.toRaiseError('"hamming"')
  expect(nearest(MessageEmbedding, { column: 'embedding', to: [1, 2, 3], distance: '<=>' })).type.toRaiseError()
})

test('the distances by name and operator', () => {
  expect<VectorDistance>().type.toBe<'cosine' | 'l2' | 'innerProduct'>()
  expect(VECTOR_DISTANCES).type.toBe<{ readonly cosine: '<=>', readonly l2: '<->', readonly innerProduct: '<#>' }>()
  expect<NearestOptions<MessageEmbedding>['column']>().type.toBe<'messageId' | 'embedding'>()
})
