import { canonicalCheck, describeIndex } from './sql.js'
import type { ColumnShape, ConstraintShape, IndexShape, SchemaCounts, SchemaDifference, SchemaShape, TableShape } from './types.js'

/**
 * Every way `actual` differs from `expected`, table by table in the models' order. Only the
 * expected tables are compared: other tables in the database (the migrations meta table, another
 * service's) are not the models' business. A missing table is one difference, not one per column.
 */
export function diffSchemas (expected: SchemaShape, actual: SchemaShape): SchemaDifference[] {
  const present = new Map(actual.tables.map(table => [table.name, table]))
  return expected.tables.flatMap(table => {
    const live = present.get(table.name)
    if (live === undefined) return [{ kind: 'missing-table' as const, table: table.name, message: `${table.name}: table is missing` }]
    return [...diffColumns(table, live), ...diffIndexes(table, live), ...diffConstraints(table, live)]
  })
}

/** How many tables, columns, indexes and constraints `schema` has. */
export function countSchema (schema: SchemaShape): SchemaCounts {
  const sum = (pick: (table: TableShape) => unknown[]): number => schema.tables.reduce((n, table) => n + pick(table).length, 0)
  return { tables: schema.tables.length, columns: sum(t => t.columns), indexes: sum(t => t.indexes), constraints: sum(t => t.constraints) }
}

/** An item paired by name across the two sides: expected only, actual only, or both. */
type Pair<T> = { name: string, want: T, have: T | undefined } | { name: string, want: undefined, have: T }

/** Pairs two lists by name, expected order first, then what only the database has. */
function pairByName<T extends { name: string }> (expected: T[], actual: T[]): Array<Pair<T>> {
  const live = new Map(actual.map(item => [item.name, item]))
  const wanted = new Set(expected.map(item => item.name))
  return [
    ...expected.map((want): Pair<T> => ({ name: want.name, want, have: live.get(want.name) })),
    ...actual.filter(have => !wanted.has(have.name)).map((have): Pair<T> => ({ name: have.name, want: undefined, have }))
  ]
}

function nullRule (column: ColumnShape): string {
  return column.nullable ? 'NULL' : 'NOT NULL'
}

function diffColumns (expected: TableShape, actual: TableShape): SchemaDifference[] {
  const table = expected.name
  return pairByName(expected.columns, actual.columns).flatMap(({ name, want, have }): SchemaDifference[] => {
    const where = `${table}.${name}`
    if (want === undefined) {
      const shape = `${have.type} ${nullRule(have)}`
      return [{ kind: 'extra-column', table, name, actual: shape, message: `${where}: column is not in the models (${shape})` }]
    }
    if (have === undefined) {
      const shape = `${want.type} ${nullRule(want)}`
      return [{ kind: 'missing-column', table, name, expected: shape, message: `${where}: column is missing (models expect ${shape})` }]
    }
    const differences: SchemaDifference[] = []
    if (want.type !== have.type) {
      differences.push({ kind: 'column-type', table, name, expected: want.type, actual: have.type, message: `${where}: type is ${have.type}, models expect ${want.type}` })
    }
    if (want.nullable !== have.nullable) {
      differences.push({ kind: 'column-nullability', table, name, expected: nullRule(want), actual: nullRule(have), message: `${where}: column is ${nullRule(have)}, models expect ${nullRule(want)}` })
    }
    return differences
  })
}

/**
 * Indexes by name. An index that enforces a primary key or UNIQUE constraint is not reported as
 * missing or extra on its own: the constraint's difference says it, once.
 */
function diffIndexes (expected: TableShape, actual: TableShape): SchemaDifference[] {
  const table = expected.name
  return pairByName(expected.indexes, actual.indexes).flatMap(({ name, want, have }): SchemaDifference[] => {
    if (want === undefined) {
      if (have.constraint !== null) return []
      const shape = describeIndex(have)
      return [{ kind: 'extra-index', table, name, actual: shape, message: `${table}: index ${name} is not in the models (${shape})` }]
    }
    if (have === undefined) {
      if (want.constraint !== null) return []
      const shape = describeIndex(want)
      return [{ kind: 'missing-index', table, name, expected: shape, message: `${table}: index ${name} is missing (models expect ${shape})` }]
    }
    return sameIndex(want, have) ? [] : [indexMismatch(table, want, have)]
  })
}

function sameIndex (want: IndexShape, have: IndexShape): boolean {
  return describeIndex(want) === describeIndex(have)
}

function indexMismatch (table: string, want: IndexShape, have: IndexShape): SchemaDifference {
  const expected = describeIndex(want)
  const actual = describeIndex(have)
  return { kind: 'index-definition', table, name: want.name, expected, actual, message: `${table}: index ${want.name} is ${actual}, models expect ${expected}` }
}

function diffConstraints (expected: TableShape, actual: TableShape): SchemaDifference[] {
  const table = expected.name
  return pairByName(expected.constraints, actual.constraints).flatMap(({ name, want, have }): SchemaDifference[] => {
    if (want === undefined) {
      return [{ kind: 'extra-constraint', table, name, actual: have.definition, message: `${table}: constraint ${name} is not in the models (${have.definition})` }]
    }
    if (have === undefined) {
      return [{ kind: 'missing-constraint', table, name, expected: want.definition, message: `${table}: constraint ${name} is missing (models expect ${want.definition})` }]
    }
    if (sameConstraint(want, have)) return []
    return [{
      kind: 'constraint-definition',
      table,
      name,
      expected: want.definition,
      actual: have.definition,
      message: `${table}: constraint ${name} is ${have.definition}, models expect ${want.definition}`
    }]
  })
}

function sameConstraint (want: ConstraintShape, have: ConstraintShape): boolean {
  if (want.kind !== have.kind) return false
  // CHECK expressions come back from PostgreSQL rewritten (casts, parentheses, = ANY).
  if (want.kind === 'check') return canonicalCheck(want.definition) === canonicalCheck(have.definition)
  return want.definition === have.definition
}
