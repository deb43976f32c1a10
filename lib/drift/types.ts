/** A column as the schema check compares it: its name, `format_type()` spelling and NULL rule. */
export interface ColumnShape {
  name: string
  /** The type as PostgreSQL's `format_type()` prints it, e.g. `character varying(255)`, `text[]`. */
  type: string
  nullable: boolean
}

/** An index as the schema check compares it. */
export interface IndexShape {
  name: string
  /** Key columns (or expressions) in order. */
  columns: string[]
  unique: boolean
  /** Access method, e.g. `btree`, `gin`. */
  method: string
  /** The WHERE clause of a partial index, else null. */
  predicate: string | null
  /** The primary key or UNIQUE constraint this index enforces, else null. */
  constraint: string | null
}

/** The kinds of table constraint the check knows (NOT NULL is a column property). */
export type ConstraintKind = 'primary key' | 'unique' | 'foreign key' | 'check' | 'exclusion'

/** A table constraint as the schema check compares it. */
export interface ConstraintShape {
  name: string
  kind: ConstraintKind
  /** The definition in `pg_get_constraintdef()` style, e.g. `UNIQUE (email)`. */
  definition: string
}

/** One table: columns in order, its indexes and constraints. */
export interface TableShape {
  name: string
  columns: ColumnShape[]
  indexes: IndexShape[]
  constraints: ConstraintShape[]
}

/** A set of tables. For the live database it holds only the model tables that exist. */
export interface SchemaShape {
  tables: TableShape[]
}

/** What a {@link SchemaDifference} is about. */
export type DifferenceKind =
  | 'missing-table'
  | 'missing-column' | 'extra-column' | 'column-type' | 'column-nullability'
  | 'missing-index' | 'extra-index' | 'index-definition'
  | 'missing-constraint' | 'extra-constraint' | 'constraint-definition'

/** One way the live database differs from the models. */
export interface SchemaDifference {
  kind: DifferenceKind
  table: string
  /** The column, index or constraint concerned; absent for a missing table. */
  name?: string
  /** What the models expect (a type, a NULL rule, a definition), when there is one. */
  expected?: string
  /** What the database has, when there is one. */
  actual?: string
  /** One human-readable line, e.g. `users.name: type is text, models expect character varying(255)`. */
  message: string
}

/** How much of the schema the models describe; the check's summary line prints it. */
export interface SchemaCounts {
  tables: number
  columns: number
  indexes: number
  constraints: number
}
