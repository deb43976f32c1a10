import type { IndexShape } from './types.js'

// Sequelize's spelling (DataType#toSql) → PostgreSQL's canonical name, as format_type() prints it.
const TYPE_ALIASES: Array<[RegExp, string]> = [
  [/^varchar\b/, 'character varying'],
  [/^char\b/, 'character'],
  [/^decimal\b/, 'numeric'],
  [/^int$/, 'integer'],
  [/^float$/, 'double precision'],
  [/^time$/, 'time without time zone'],
  [/^timestamp$/, 'timestamp without time zone'],
  [/^blob$/, 'bytea']
]

/** Normalises an SQL type name (e.g. Sequelize's `VARCHAR(255)`) to `format_type()`'s spelling. */
export function normalizeSqlType (sql: string): string {
  const lower = sql.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\s*,\s*/g, ',').replace(/\s*\(\s*/g, '(').replace(/\s*\)/g, ')')
  const [, base = lower, arrays = ''] = /^(.*?)((?:\[\])*)$/.exec(lower) ?? []
  const canonical = TYPE_ALIASES.reduce((name, [pattern, replacement]) => name.replace(pattern, replacement), base)
  return `${canonical}${arrays}`
}

// A cast as PostgreSQL prints it in a constraint: lower-case type names (keywords stay upper case,
// so ` AND` after a cast is never taken for part of it), optional modifiers and array brackets.
const CAST = /::(?:character varying|double precision|bit varying|(?:timestamp|time) with(?:out)? time zone|[a-z_][a-z0-9_]*)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*/g

/**
 * A loose canonical form of a CHECK expression so the models' `role IN ('a', 'b')` equals what
 * `pg_get_constraintdef()` prints (`((role)::text = ANY ((ARRAY['a'::character varying, …])::text[]))`):
 * casts, parentheses and whitespace are dropped, `= ANY (ARRAY[…])` reads as `IN (…)` and quoted
 * numbers lose their quotes. Good enough to spot a changed rule, not a full SQL comparison.
 */
export function canonicalCheck (definition: string): string {
  return definition
    .replace(/^\s*CHECK\s*/i, '')
    .replace(CAST, '')
    .replace(/\s*=\s*ANY\s*/g, ' IN ')
    .replace(/ARRAY\[/g, '(')
    .replace(/\]/g, ')')
    .replace(/'(-?\d+(?:\.\d+)?)'/g, '$1')
    .replace(/[\s()]/g, '')
}

/** Renders `value` as an SQL literal: numbers as they are, strings quoted. */
export function sqlLiteral (value: string | number): string {
  return typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "''")}'`
}

/** `CHECK (column IN (…))` for a list of allowed values. */
export function inListCheck (column: string, values: ReadonlyArray<string | number>): string {
  return `CHECK (${column} IN (${values.map(sqlLiteral).join(', ')}))`
}

/** An index's shape as one line, e.g. `UNIQUE btree (share_token)`. */
export function describeIndex (index: IndexShape): string {
  const unique = index.unique ? 'UNIQUE ' : ''
  const where = index.predicate !== null ? ` WHERE ${index.predicate}` : ''
  return `${unique}${index.method} (${index.columns.join(', ')})${where}`
}

/** `PRIMARY KEY (a, b)` / `UNIQUE (a)`, as `pg_get_constraintdef()` prints them. */
export function keyDefinition (kind: 'PRIMARY KEY' | 'UNIQUE', columns: string[]): string {
  return `${kind} (${columns.join(', ')})`
}

/**
 * A foreign key as `pg_get_constraintdef()` prints it. ON UPDATE is left out on purpose: Sequelize
 * defaults associations to ON UPDATE CASCADE while the contract leaves PostgreSQL's NO ACTION, and
 * primary keys here are UUIDs that never change, so that rule is not part of the comparison.
 */
export function foreignKeyDefinition (columns: string[], refTable: string, refColumns: string[], onDelete: string): string {
  const action = onDelete.toUpperCase()
  return `FOREIGN KEY (${columns.join(', ')}) REFERENCES ${refTable}(${refColumns.join(', ')})${action === 'NO ACTION' ? '' : ` ON DELETE ${action}`}`
}
