import { Ajv, type Options } from 'ajv'
import ajvFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

// How request input is checked against the route schemas: Fastify's documented pattern of one
// Ajv per part of the request. Both refuse unknown fields (400) rather than drop them, so a client
// sending ?sort=asc or a misspelt field learns at once that it has no effect.
// - The JSON body is taken as sent: no coercion. Fastify's default (coerceTypes: 'array') would
//   store `outputTokens: true` as 1, `domains: [null]` as [""] and `domains: "math"` as ["math"].
// - Path and query string are text by nature: "20" becomes 20 there.
const common: Options = { useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false }
const addFormats = ajvFormats as unknown as ((ajv: Ajv) => Ajv) & { default?: (ajv: Ajv) => Ajv }
const withFormats = (ajv: Ajv): Ajv => (addFormats.default ?? addFormats)(ajv)
const asSent = withFormats(new Ajv({ ...common, coerceTypes: false }))
const fromText = withFormats(new Ajv({ ...common, coerceTypes: true }))

/** The validator compiler of the example app (`app.setValidatorCompiler`). */
export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? asSent : fromText).compile(schema)
