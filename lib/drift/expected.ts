import type { ModelAttributeColumnOptions, ModelStatic, Model as SequelizeModel, IndexesOptions } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { MODEL_CHECKS } from './checks.js'
import { foreignKeyDefinition, keyDefinition, normalizeSqlType } from './sql.js'
import type { ColumnShape, ConstraintShape, IndexShape, SchemaShape, TableShape } from './types.js'

type AnyModel = ModelStatic<SequelizeModel>
type Attribute = ModelAttributeColumnOptions & { field?: string }
type IndexField = NonNullable<IndexesOptions['fields']>[number]

/**
 * The schema the models bound to `sequelize` describe: columns from their attributes, the primary
 * key, UNIQUE constraints from attributes' `unique: { name }`, foreign keys from the associations,
 * indexes from each model's `@Table({ indexes })` and CHECK constraints from {@link MODEL_CHECKS}.
 */
export function expectedSchema (sequelize: Sequelize): SchemaShape {
  return { tables: Object.values(sequelize.models).map(model => expectedTable(model as AnyModel)) }
}

function expectedTable (model: AnyModel): TableShape {
  const table = tableName(model)
  const attributes = Object.values(model.getAttributes()) as Attribute[]
  const declared = (model.options.indexes ?? []).map(index => declaredIndex(model, table, index))
  const declaredNames = new Set(declared.map(index => index.name))
  const primaryKey = primaryKeyColumns(attributes)
  const uniques = uniqueConstraints(table, attributes, declaredNames)
  return {
    name: table,
    columns: attributes.map(expectedColumn),
    indexes: [
      ...(primaryKey.length > 0 ? [constraintIndex(`${table}_pkey`, primaryKey)] : []),
      ...[...uniques].map(([name, columns]) => constraintIndex(name, columns)),
      ...declared
    ],
    constraints: [
      ...(primaryKey.length > 0 ? [{ name: `${table}_pkey`, kind: 'primary key' as const, definition: keyDefinition('PRIMARY KEY', primaryKey) }] : []),
      ...[...uniques].map(([name, columns]) => ({ name, kind: 'unique' as const, definition: keyDefinition('UNIQUE', columns) })),
      ...attributes.flatMap(attribute => foreignKey(table, attribute)),
      ...(MODEL_CHECKS[model.name] ?? []).map(check => ({ name: check.name, kind: 'check' as const, definition: check.definition }))
    ]
  }
}

function tableName (model: AnyModel): string {
  const name = model.getTableName()
  return typeof name === 'string' ? name : name.tableName
}

function columnName (attribute: Attribute): string {
  if (attribute.field === undefined) throw new Error('model attribute without a column name (field)')
  return attribute.field
}

function expectedColumn (attribute: Attribute): ColumnShape {
  const type = attribute.type as { toSql?: () => string, key?: string }
  return {
    name: columnName(attribute),
    type: normalizeSqlType(type.toSql?.() ?? type.key ?? String(attribute.type)),
    // Primary key columns are NOT NULL in PostgreSQL whatever the attribute says.
    nullable: attribute.allowNull !== false && attribute.primaryKey !== true
  }
}

function primaryKeyColumns (attributes: Attribute[]): string[] {
  return attributes.filter(attribute => attribute.primaryKey === true).map(columnName)
}

/**
 * UNIQUE constraints by name, from attributes' `unique` option (several attributes sharing a name
 * make one composite constraint, as in Sequelize). A name that is also a declared index means a
 * unique *index* (e.g. `idx_conversations_share_token`), which the index list already covers.
 */
function uniqueConstraints (table: string, attributes: Attribute[], declaredIndexes: Set<string>): Map<string, string[]> {
  const constraints = new Map<string, string[]>()
  for (const attribute of attributes) {
    const name = uniqueName(table, attribute)
    if (name === undefined || declaredIndexes.has(name)) continue
    constraints.set(name, [...(constraints.get(name) ?? []), columnName(attribute)])
  }
  return constraints
}

function uniqueName (table: string, attribute: Attribute): string | undefined {
  const unique = attribute.unique
  if (unique === undefined || unique === false) return undefined
  if (typeof unique === 'string') return unique
  if (typeof unique === 'object' && typeof unique.name === 'string') return unique.name
  // An unnamed one gets PostgreSQL's default name for a one-column UNIQUE constraint.
  return `${table}_${columnName(attribute)}_key`
}

function constraintIndex (name: string, columns: string[]): IndexShape {
  return { name, columns, unique: true, method: 'btree', predicate: null, constraint: name }
}

/** The foreign key an association put on this attribute, named as PostgreSQL names it by default. */
function foreignKey (table: string, attribute: Attribute): ConstraintShape[] {
  const references = attribute.references
  if (references === undefined || typeof references === 'string') return []
  const target = references.model
  const refTable = typeof target === 'string' ? target : typeof target === 'object' && target !== null && 'tableName' in target ? target.tableName : undefined
  if (refTable === undefined) return []
  const column = columnName(attribute)
  return [{
    name: `${table}_${column}_fkey`,
    kind: 'foreign key',
    definition: foreignKeyDefinition([column], refTable, [references.key ?? 'id'], attribute.onDelete ?? 'NO ACTION')
  }]
}

function declaredIndex (model: AnyModel, table: string, index: IndexesOptions): IndexShape {
  const columns = (index.fields ?? []).map(field => indexColumn(model, field))
  return {
    // Sequelize's own default name, for an index declared without one.
    name: index.name ?? `${table}_${columns.join('_')}`,
    columns,
    unique: index.unique === true || index.type?.toUpperCase() === 'UNIQUE',
    method: (index.using ?? 'btree').toLowerCase(),
    // A `where` in a model's index declaration is not rendered: declare partial indexes by
    // migration only (the check then reports them as differing).
    predicate: null,
    constraint: null
  }
}

/** An index field as a column name: attribute names map to their column, column names stay. */
function indexColumn (model: AnyModel, field: IndexField): string {
  const name = typeof field === 'string' ? field : 'name' in field ? field.name : 'val' in field ? String(field.val) : String(field)
  const attribute = model.getAttributes()[name] as Attribute | undefined
  return attribute?.field ?? name
}
