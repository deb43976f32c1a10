import t from 'tap'
import { hasPostgresBinaries } from './helpers/engine.js'

// Stopping and restarting a server needs a private cluster of our own (initdb, pg_ctl).
if (!hasPostgresBinaries) t.plan(0, 'needs the PostgreSQL server binaries (initdb, pg_ctl) for a private cluster to stop and restart')
else await import('./suites/cluster-restart.suite.js')
