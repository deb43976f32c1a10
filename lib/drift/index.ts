import type { Sequelize } from 'sequelize-typescript'
import { expectedSchema } from './expected.js'
import { actualSchema } from './actual.js'
import { countSchema, diffSchemas } from './diff.js'
import type { SchemaCounts, SchemaDifference } from './types.js'

export { expectedSchema } from './expected.js'
export { actualSchema } from './actual.js'
export { countSchema, diffSchemas } from './diff.js'
export { MODEL_CHECKS, type CheckSpec } from './checks.js'
export { canonicalCheck, normalizeSqlType } from './sql.js'
export type * from './types.js'

/** The result of {@link checkSchema}. */
export interface SchemaCheck {
  /** True when the database has exactly what the models describe. */
  ok: boolean
  differences: SchemaDifference[]
  /** What the models describe (the summary of a clean check). */
  expected: SchemaCounts
}

/** Compares the models bound to `sequelize` with the live database; reads only, changes nothing. */
export async function checkSchema (sequelize: Sequelize): Promise<SchemaCheck> {
  const expected = expectedSchema(sequelize)
  const actual = await actualSchema(sequelize, expected.tables.map(table => table.name))
  const differences = diffSchemas(expected, actual)
  return { ok: differences.length === 0, differences, expected: countSchema(expected) }
}
