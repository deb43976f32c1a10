import { fileTest } from './helpers/file-test.js'
import type { FastifyInstance } from 'fastify'
import { buildExampleApp } from '../example/app.js'
import { freshDatabase } from './helpers/app.js'
import { factoriesSuite } from './helpers/factories-suite.js'

const t = fileTest()

// Factories on the suite's engine (PostgreSQL, or PGlite over its socket with
// COACH_DB_TEST_ENGINE=pglite); test/factories-pglite.test.ts runs the same on in-process PGlite.
const database = await freshDatabase(t)
const app: FastifyInstance = await buildExampleApp({ connectionString: database.url })
t.teardown(() => app.close())
factoriesSuite(t, app)
