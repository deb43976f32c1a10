import { fileTest } from './helpers/file-test.js'
import type { FastifyInstance } from 'fastify'
import { buildExampleApp } from '../example/app.js'
import { factoriesSuite } from './helpers/factories-suite.js'

const t = fileTest()

// The factories on the embedded engine as an app's tests would use it without a server:
// `pglite://memory`, in process, the example service migrated on register. One session shared by
// the pool, the test transactions of isolateEachTest, the request transactions of the routes,
// parents made on demand and createList's concurrent inserts all on it. Whatever engine the rest
// of the suite uses, this file uses PGlite.
const app: FastifyInstance = await buildExampleApp({ connectionString: 'pglite://memory' })
t.teardown(() => app.close())
factoriesSuite(t, app)
