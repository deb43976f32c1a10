import { access } from 'node:fs/promises'
import { testEngine } from '../../lib/testing/embedded-database.js'
import { PG_BIN } from './private-cluster.js'

/** Whether this run's test databases are embedded PGlite engines (no PostgreSQL server here). */
export const onPglite = await testEngine() === 'pglite'

/** Whether the PostgreSQL server binaries (initdb, pg_ctl) are here, for a private cluster. */
export const hasPostgresBinaries = await access(`${PG_BIN}/initdb`).then(() => true, () => false)

/** Subtest options that skip, with the reason, what only a real PostgreSQL server can show. */
export function needsServer (why: string): { skip: string | false } {
  return { skip: onPglite ? `needs a PostgreSQL server (${why}); this run uses PGlite` : false }
}

/** Subtest options that skip, with the reason, what needs a private cluster (initdb, pg_ctl) when the server binaries are missing. */
export function needsPrivateCluster (why: string): { skip: string | false } {
  return { skip: hasPostgresBinaries ? false : `needs the PostgreSQL server binaries (initdb, pg_ctl) for ${why}` }
}
