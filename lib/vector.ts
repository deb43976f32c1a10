import { DataTypes, QueryTypes, type Attributes, type Model, type ModelStatic, type Transaction } from 'sequelize'
import type { DataTypeAbstract } from 'sequelize'
import { registerVectorTypes } from './connection/vector-types.js'
import { OptionsError } from './errors.js'

/**
 * `VECTOR(n)`, pgvector's `vector(n)`, as a model attribute type:
 * `@Column({ type: VECTOR(3), allowNull: false }) declare embedding: number[]`.
 * Values are written from and read back as `number[]`.
 */
export function VECTOR (dimensions: number): DataTypeAbstract {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 16_000) {
    throw new OptionsError(`VECTOR(n): n must be a whole number from 1 to 16000 (got ${String(dimensions)}).`)
  }
  registerVectorTypes()
  const vector = (DataTypes as unknown as { VECTOR: (n: number) => DataTypeAbstract }).VECTOR
  return vector(dimensions)
}

/** pgvector's distance operators by name: cosine `<=>`, Euclidean `<->`, negative inner product `<#>`. */
export const VECTOR_DISTANCES = { cosine: '<=>', l2: '<->', innerProduct: '<#>' } as const
export type VectorDistance = keyof typeof VECTOR_DISTANCES

/** Options of {@link nearest}. */
export interface NearestOptions<M extends Model> {
  /** The vector attribute to search (an attribute name of the model, typed). */
  column: keyof Attributes<M> & string
  /** The query vector; its length must match the column's dimensions. */
  to: readonly number[]
  /** How many rows, 1 to 1000. Default 10. */
  k?: number
  /**
   * `cosine` (default, `<=>`), `l2` (`<->`) or `innerProduct` (`<#>`, which is the *negative*
   * inner product, so smaller is nearer as for the others). An HNSW/IVFFlat index serves the
   * query only when it was built with the matching operator class (vector_cosine_ops, …).
   */
  distance?: VectorDistance
  /** Run inside this transaction. */
  transaction?: Transaction
}

/** A row {@link nearest} returns: the model's attributes and its distance to the query vector. */
export type Neighbour<M extends Model> = Attributes<M> & { distance: number }

/**
 * The `k` rows of `model` nearest to `to`, nearest first, each with its `distance`, as plain
 * objects with the model's attribute names. One `ORDER BY column <op> $1 LIMIT $2` query, the
 * shape an HNSW index serves. Injection-safe: the column must be an attribute of the model of a
 * vector type, the operator comes from a fixed list, the vector and k are bind parameters.
 */
export async function nearest<M extends Model> (model: ModelStatic<M>, options: NearestOptions<M>): Promise<Array<Neighbour<M>>> {
  const sequelize = model.sequelize
  if (sequelize === undefined) throw new OptionsError('nearest(): pass a model bound to a Sequelize instance (app.db.models.X or sequelize.model(…)).')
  const attributes = model.getAttributes() as Record<string, { field?: string, type: unknown }>
  const column = attributes[options.column]
  if (column === undefined || !isVectorType(column.type)) {
    throw new OptionsError(`nearest(): "${String(options.column)}" is not a VECTOR attribute of ${model.name}.`)
  }
  const k = options.k ?? 10
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new OptionsError(`nearest(): k must be a whole number from 1 to 1000 (got ${String(k)}).`)
  const operator = VECTOR_DISTANCES[options.distance ?? 'cosine']
  if (operator === undefined) throw new OptionsError(`nearest(): distance must be one of ${Object.keys(VECTOR_DISTANCES).join(', ')} (got ${String(options.distance)}).`)
  if (!Array.isArray(options.to) || options.to.length === 0 || !options.to.every(x => typeof x === 'number' && Number.isFinite(x))) {
    throw new OptionsError('nearest(): "to" must be a non-empty array of finite numbers.')
  }
  const q = (name: string): string => sequelize.getQueryInterface().quoteIdentifier(name)
  const table = model.getTableName()
  const from = typeof table === 'string' ? q(table) : `${q(table.schema)}.${q(table.tableName)}`
  const selected = Object.entries(attributes).map(([name, attribute]) => `${q(attribute.field ?? name)} AS ${q(name)}`).join(', ')
  const vectorColumn = q(column.field ?? options.column)
  const sql = `SELECT ${selected}, ${vectorColumn} ${operator} $1::vector AS "distance" FROM ${from} ORDER BY ${vectorColumn} ${operator} $1::vector LIMIT $2`
  const rows = await sequelize.query<Record<string, unknown>>(sql, {
    type: QueryTypes.SELECT,
    bind: [JSON.stringify(options.to), k],
    ...(options.transaction !== undefined ? { transaction: options.transaction } : {})
  })
  // Vector columns come back as text ('[1,2,3]') unless a type parser is registered.
  const vectorNames = Object.entries(attributes).filter(([, attribute]) => isVectorType(attribute.type)).map(([name]) => name)
  for (const row of rows) {
    for (const name of vectorNames) row[name] = parseVector(row[name])
    row.distance = Number(row.distance)
  }
  return rows as Array<Neighbour<M>>
}

function isVectorType (type: unknown): boolean {
  const key = (type as { key?: string } | undefined)?.key
  return key === 'vector' || key === 'halfvec'
}

function parseVector (value: unknown): unknown {
  if (typeof value !== 'string') return value
  return value.slice(1, -1).split(',').map(Number)
}
