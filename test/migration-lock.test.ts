import t from 'tap'
import { onPglite } from './helpers/engine.js'

// Replicas contending for the advisory lock need a server with separate sessions; PGlite has one.
if (onPglite) t.plan(0, 'needs a PostgreSQL server: PGlite is one session, so replicas cannot contend for the migration lock')
else await import('./suites/migration-lock.suite.js')
