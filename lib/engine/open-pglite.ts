import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { EmbeddedEngineError } from './errors.js'
import { LOCK_FILE } from './data-directory.js'
import { discardInitdbSnapshot, readInitdbSnapshot, saveInitdbSnapshot } from './initdb-snapshot.js'

import type { PGliteHandle } from './pglite-handle.js'

/**
 * A PGlite instance with the pgvector extension available (`CREATE EXTENSION vector` works).
 * This module is the only one that loads PGlite; the engine imports it with `import()` for
 * `pglite://` URLs only.
 */
export type EmbeddedPGlite = PGliteHandle

/** Options of {@link openPGlite}. */
export interface OpenPGliteOptions {
  /** Data directory, or `undefined` for memory. */
  dataDir: string | undefined
  /** `true` when the directory already holds a cluster (no initdb needed). */
  existing: boolean
  /** Folder of the initdb snapshot, or `false` to always run initdb. */
  snapshotDir: string | false | undefined
}

/**
 * Starts PGlite with pgvector. A new cluster (memory, or a new directory) is loaded from the
 * saved initdb snapshot when there is one, and the snapshot is written after a real initdb.
 */
export async function openPGlite (options: OpenPGliteOptions): Promise<EmbeddedPGlite> {
  const where = options.dataDir ?? 'memory'
  const needsInitdb = !options.existing
  const snapshotDir = options.snapshotDir === false ? undefined : options.snapshotDir
  const snapshot = needsInitdb && options.snapshotDir !== false ? await readInitdbSnapshot(snapshotDir) : undefined
  if (snapshot !== undefined) {
    try {
      return await create(options.dataDir, snapshot)
    } catch {
      // A damaged snapshot: forget it and fall back to initdb below, on the empty directory the
      // caller checked (the failed load may have left files in it).
      await discardInitdbSnapshot(snapshotDir)
      if (options.dataDir !== undefined) await emptyDirectory(options.dataDir)
    }
  }
  let db: EmbeddedPGlite
  try {
    db = await create(options.dataDir, undefined)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_START', `PGlite could not start on ${where}: ${reason}.${options.existing ? ' The directory may come from another PostgreSQL/PGlite version or be damaged.' : ''}`, { cause: err })
  }
  // Right after initdb the cluster holds nothing of anyone's: safe to share as the snapshot.
  if (needsInitdb && options.snapshotDir !== false) await saveInitdbSnapshot(db, snapshotDir)
  return db
}

async function create (dataDir: string | undefined, loadDataDir: Blob | undefined): Promise<EmbeddedPGlite> {
  const db: PGlite = new PGlite({ dataDir, extensions: { vector }, ...(loadDataDir !== undefined ? { loadDataDir } : {}) })
  try {
    await db.waitReady
  } catch (err) {
    await db.close().catch(() => {})
    throw err
  }
  return db
}

async function emptyDirectory (dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name !== LOCK_FILE) await rm(join(dir, name), { recursive: true, force: true })
  }
}
