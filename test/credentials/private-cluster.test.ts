import t from 'tap'
import { hasPostgresBinaries } from '../helpers/engine.js'

// The private cluster helper itself needs the PostgreSQL server binaries.
if (!hasPostgresBinaries) t.plan(0, 'needs the PostgreSQL server binaries (initdb, pg_ctl)')
else await import('../suites/private-cluster.suite.js')
