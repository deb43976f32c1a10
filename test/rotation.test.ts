import t from 'tap'
import { hasPostgresBinaries } from './helpers/engine.js'

// Rotation needs a PostgreSQL that checks passwords: a private cluster (initdb, pg_ctl).
if (!hasPostgresBinaries) t.plan(0, 'needs the PostgreSQL server binaries (initdb, pg_ctl) for a private cluster that checks passwords')
else await import('./suites/rotation.suite.js')
