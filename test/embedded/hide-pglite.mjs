// `node --import ./hide-pglite.mjs`: makes @electric-sql/* unresolvable, as in an app that did not
// install the optional peer. Any import of it (static or dynamic) fails the way Node's own
// resolver fails for a missing package, and is reported on stderr as `LOADED-PGLITE <specifier>`.
import { register } from 'node:module'

const hooks = `
export async function resolve (specifier, context, next) {
  if (specifier.startsWith('@electric-sql/')) {
    process.stderr.write('LOADED-PGLITE ' + specifier + '\\n')
    const err = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL)
    err.code = 'ERR_MODULE_NOT_FOUND'
    throw err
  }
  return next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
