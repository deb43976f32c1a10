import { fileTest } from '../helpers/file-test.js'
import { registrationError } from '../helpers/app.js'

const t = fileTest()

// PGlite accepts `SET statement_timeout` and shows the value, but never enforces it: its
// WebAssembly build has no timer to interrupt a statement (`SELECT pg_sleep(1)` under a 200 ms
// timeout runs its full second). Applying the option would promise a bound that does not exist.
t.test('statementTimeoutMs on pglite:// is refused with a clear error, before PGlite starts', async t => {
  for (const url of ['pglite://memory', `pglite://${t.testdir()}/db`]) {
    const err = await registrationError({ connectionString: url, statementTimeoutMs: 2000 }) as Error & { code?: string }
    t.equal(err.code, 'ERR_COACH_DB_EMBEDDED_OPTION', url)
    t.match(err.message, /statementTimeoutMs.*not enforced by the embedded PGlite engine/, url)
  }
})
