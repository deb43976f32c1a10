// Validators for what PostgreSQL would store differently from what was sent, or not at all:
// NUL (text and jsonb cannot hold U+0000: 22P05/22021, or the four characters `a\0b` through
// Sequelize's escaping), lone UTF-16 surrogates (stored as U+FFFD), values of the wrong type that
// Sequelize would coerce (`true` → 1, `null` in a text[] → ""), and JSON documents deep or large
// enough to exhaust a stack on the way in or out. Each throws a plain Error whose message starts
// with the attribute's name; Sequelize turns it into a ValidationError item with that `path`.
// Sequelize runs custom validators on null too: null passes here, allowNull decides.

/** How deep `citations` may nest: objects and arrays, the document itself being level 1. */
export const CITATIONS_MAX_DEPTH = 32

/** How large `citations` may be, in bytes of its JSON text (UTF-8). */
export const CITATIONS_MAX_BYTES = 65_536

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Why `value` cannot be stored as PostgreSQL text, or undefined when it can. */
function textProblem (value: string): 'NUL' | 'lone surrogate' | undefined {
  if (value.includes('\u0000')) return 'NUL'
  if (LONE_SURROGATE.test(value)) return 'lone surrogate'
  return undefined
}

function textError (field: string, problem: 'NUL' | 'lone surrogate', where?: string): Error {
  return problem === 'NUL'
    ? new Error(`${field} must not contain NUL${where !== undefined ? ` (${where})` : ''}`)
    : new Error(`${field} must be well-formed Unicode (lone surrogate${where !== undefined ? ` ${where}` : ''})`)
}

/** A validator for a text/varchar attribute: a string PostgreSQL stores as sent. */
export function storableText (field: string): (value: unknown) => void {
  return (value: unknown): void => {
    if (value == null) return
    if (typeof value !== 'string') throw new Error(`${field} must be a string`)
    const problem = textProblem(value)
    if (problem !== undefined) throw textError(field, problem)
  }
}

/** A validator for an integer attribute: a JavaScript integer, not a boolean or a numeric string. */
export function wholeNumber (field: string): (value: unknown) => void {
  return (value: unknown): void => {
    if (value == null) return
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error(`${field} must be a whole number (got ${describe(value)})`)
  }
}

/** Validates `domains`: an array of storable strings (null is handled by allowNull). */
export function validateDomains (value: unknown): void {
  if (value == null) return
  if (!Array.isArray(value)) throw new Error(`domains must be an array of strings or null (got ${describe(value)})`)
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string') throw new Error(`domains must be an array of strings (item ${i} is ${describe(item)})`)
    const problem = textProblem(item)
    if (problem === 'NUL') throw new Error(`domains must not contain NUL (item ${i})`)
    if (problem !== undefined) throw new Error(`domains must be well-formed Unicode (lone surrogate in item ${i})`)
  })
}

/**
 * Validates `citations`: a plain object of JSON values (no NaN, Infinity, undefined, Date, …),
 * at most {@link CITATIONS_MAX_DEPTH} levels deep and {@link CITATIONS_MAX_BYTES} bytes as JSON,
 * with no NUL or lone surrogate in any key or string. Walks iteratively, so no document can
 * exhaust the stack here; the depth bound keeps the stack safe wherever it is read later.
 */
export function validateCitations (value: unknown): void {
  if (value == null) return
  if (!isPlainObject(value)) throw new Error(`citations must be an object or null (got ${describe(value)})`)
  const stack: Array<{ node: unknown, path: string, depth: number }> = [{ node: value, path: 'citations', depth: 1 }]
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop() as { node: unknown, path: string, depth: number }
    if (typeof node === 'string') {
      const problem = textProblem(node)
      if (problem !== undefined) throw textError('citations', problem, `at ${path}`)
    } else if (typeof node === 'number') {
      if (!Number.isFinite(node)) throw new Error(`citations must hold JSON values only (${String(node)} at ${path})`)
    } else if (node === null || typeof node === 'boolean') {
      // JSON as it is
    } else if (Array.isArray(node) || isPlainObject(node)) {
      if (depth > CITATIONS_MAX_DEPTH) throw new Error(`citations nests deeper than ${CITATIONS_MAX_DEPTH} levels (at ${path})`)
      if (Array.isArray(node)) {
        node.forEach((item, i) => stack.push({ node: item, path: `${path}[${i}]`, depth: depth + 1 }))
      } else {
        for (const [key, item] of Object.entries(node)) {
          const problem = textProblem(key)
          if (problem !== undefined) throw textError('citations', problem, `in a key at ${path}`)
          stack.push({ node: item, path: `${path}.${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)}`, depth: depth + 1 })
        }
      }
    } else {
      throw new Error(`citations must hold JSON values only (${describe(node)} at ${path})`)
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8')
  if (bytes > CITATIONS_MAX_BYTES) throw new Error(`citations is larger than ${CITATIONS_MAX_BYTES} bytes as JSON (${bytes})`)
}

/**
 * `citations` as a reader gets it: the stored document, or null when it nests deeper than
 * {@link CITATIONS_MAX_DEPTH} (only SQL can have written it). Such a document cannot be
 * serialised (JSON.stringify runs out of stack near 5,000 levels) and would turn every read of its
 * conversation into a 500; the column keeps it for SQL to inspect.
 */
export function readableCitations<T> (value: T): T | null {
  if (value === null || typeof value !== 'object') return value
  const stack: Array<{ node: unknown, depth: number }> = [{ node: value, depth: 1 }]
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown, depth: number }
    if (node === null || typeof node !== 'object') continue
    if (depth > CITATIONS_MAX_DEPTH) return null
    for (const item of Array.isArray(node) ? node : Object.values(node)) {
      if (item !== null && typeof item === 'object') stack.push({ node: item, depth: depth + 1 })
    }
  }
  return value
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function describe (value: unknown): string {
  if (value == null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return `object ${(value as object).constructor?.name ?? 'Object'}`
  if (typeof value === 'string') return 'a string'
  return `${typeof value} ${String(value)}`
}

/**
 * Runs the validators of `fields` on each instance of a bulkCreate, even with `validate: false`
 * (Sequelize's default there): a bulk insert escapes values into SQL, where a NUL would be stored
 * as the four characters `a\0b`, so "storable as sent" is checked on every path.
 */
export async function validateBulk (instances: Array<{ validate: (options: { fields: string[] }) => Promise<unknown> }>, fields: string[]): Promise<void> {
  for (const instance of instances) await instance.validate({ fields })
}
