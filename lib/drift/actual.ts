import { QueryTypes } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { foreignKeyDefinition, keyDefinition } from './sql.js'
import type { ColumnShape, ConstraintKind, ConstraintShape, IndexShape, SchemaShape, TableShape } from './types.js'

// The tables asked for, resolved through search_path as the models' unqualified names are.
// Views and other relations with those names do not count as the table.
const TABLES_CTE = `WITH t AS (
  SELECT c.oid, c.relname::text AS table_name FROM pg_class c
  WHERE c.oid IN (SELECT to_regclass(quote_ident(name))::oid FROM unnest($1::text[]) AS u(name))
    AND c.relkind IN ('r', 'p')
)`

const COLUMNS_SQL = `${TABLES_CTE}
SELECT t.table_name, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
FROM t JOIN pg_attribute a ON a.attrelid = t.oid
WHERE a.attnum > 0 AND NOT a.attisdropped
ORDER BY t.table_name, a.attnum`

// Key columns through pg_get_indexdef(…, k, true) so expression indexes print their expression.
// Only a PK/UNIQUE/EXCLUDE constraint *of this table* owns an index: a foreign key's conindid
// points at the referenced table's key.
const INDEXES_SQL = `${TABLES_CTE}
SELECT t.table_name, i.relname::text AS name, x.indisunique AS unique, am.amname::text AS method,
  pg_get_expr(x.indpred, x.indrelid, true) AS predicate,
  ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k) AS columns,
  co.conname::text AS constraint
FROM t JOIN pg_index x ON x.indrelid = t.oid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_am am ON am.oid = i.relam
LEFT JOIN pg_constraint co ON co.conindid = x.indexrelid AND co.conrelid = x.indrelid AND co.contype IN ('p', 'u', 'x')
ORDER BY t.table_name, i.relname`

// NOT NULL is compared as a column property (PostgreSQL 18 also lists it here as contype 'n').
const CONSTRAINTS_SQL = `${TABLES_CTE}
SELECT t.table_name, co.conname::text AS name, co.contype::text AS type,
  ARRAY(SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns,
  CASE WHEN co.contype = 'f' THEN co.confrelid::regclass::text END AS ref_table,
  ARRAY(SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum ORDER BY k.n) AS ref_columns,
  co.confdeltype::text AS on_delete,
  pg_get_constraintdef(co.oid, true) AS definition
FROM t JOIN pg_constraint co ON co.conrelid = t.oid
WHERE co.contype IN ('p', 'u', 'f', 'c', 'x')
ORDER BY t.table_name, co.conname`

const FK_ACTIONS: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' }
const CONSTRAINT_KINDS: Record<string, ConstraintKind> = { p: 'primary key', u: 'unique', f: 'foreign key', c: 'check', x: 'exclusion' }

interface TableRow { table_name: string }
interface ColumnRow extends TableRow { name: string, type: string, nullable: boolean }
interface IndexRow extends TableRow { name: string, unique: boolean, method: string, predicate: string | null, columns: string[], constraint: string | null }
interface ConstraintRow extends TableRow {
  name: string
  type: string
  columns: string[]
  ref_table: string | null
  ref_columns: string[]
  on_delete: string
  definition: string
}

/**
 * The live shape of `tables` (in the connection's search_path) read from pg_catalog. Tables that
 * do not exist are left out; nothing else in the database (e.g. the migrations meta table) is read.
 */
export async function actualSchema (sequelize: Sequelize, tables: string[]): Promise<SchemaShape> {
  const select = async <T extends object>(sql: string): Promise<T[]> =>
    await sequelize.query<T>(sql, { type: QueryTypes.SELECT, bind: [tables] })
  const [present, columns, indexes, constraints] = await Promise.all([
    select<TableRow>(`${TABLES_CTE} SELECT table_name FROM t`),
    select<ColumnRow>(COLUMNS_SQL),
    select<IndexRow>(INDEXES_SQL),
    select<ConstraintRow>(CONSTRAINTS_SQL)
  ])
  const names = new Set(present.map(row => row.table_name))
  return {
    tables: tables.filter(name => names.has(name)).map((name): TableShape => ({
      name,
      columns: columns.filter(row => row.table_name === name).map(toColumn),
      indexes: indexes.filter(row => row.table_name === name).map(toIndex),
      constraints: constraints.filter(row => row.table_name === name).map(toConstraint)
    }))
  }
}

function toColumn (row: ColumnRow): ColumnShape {
  return { name: row.name, type: row.type, nullable: row.nullable }
}

function toIndex (row: IndexRow): IndexShape {
  return { name: row.name, columns: row.columns, unique: row.unique, method: row.method, predicate: row.predicate, constraint: row.constraint }
}

/** Keys and foreign keys are rendered from the catalog in the same form the models' side uses. */
function toConstraint (row: ConstraintRow): ConstraintShape {
  const kind = CONSTRAINT_KINDS[row.type] ?? 'check'
  return { name: row.name, kind, definition: constraintDefinition(kind, row) }
}

function constraintDefinition (kind: ConstraintKind, row: ConstraintRow): string {
  switch (kind) {
    case 'primary key': return keyDefinition('PRIMARY KEY', row.columns)
    case 'unique': return keyDefinition('UNIQUE', row.columns)
    case 'foreign key': return foreignKeyDefinition(row.columns, row.ref_table ?? '?', row.ref_columns, FK_ACTIONS[row.on_delete] ?? 'NO ACTION')
    default: return row.definition
  }
}
