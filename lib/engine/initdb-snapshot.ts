import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { PGlite } from '@electric-sql/pglite'

/**
 * A brand-new PGlite cluster costs an initdb run: 3 to 5 s of WebAssembly on every
 * `pglite://memory` start and on the first start of a directory. The result is the same every
 * time for one PGlite version, so it is saved once (a ~40 MB tarball in the OS temp folder) and
 * later engines load it in about half a second. Nothing in it is user data.
 */
export const SNAPSHOT_DIR = join(tmpdir(), 'fastify-coach-db')

/** The saved fresh cluster for the installed PGlite, or `undefined` when there is none yet. */
export async function readInitdbSnapshot (dir: string = SNAPSHOT_DIR): Promise<Blob | undefined> {
  const bytes = await readFile(snapshotPath(dir)).catch(() => undefined)
  return bytes === undefined ? undefined : new Blob([bytes], { type: 'application/x-tar' })
}

/** Saves a fresh, untouched cluster for later starts. Best effort: a failure only costs time. */
export async function saveInitdbSnapshot (db: PGlite, dir: string = SNAPSHOT_DIR): Promise<void> {
  try {
    const dump = await db.dumpDataDir('none')
    await mkdir(dir, { recursive: true })
    const target = snapshotPath(dir)
    // Written aside and renamed, so a parallel reader never sees half a file.
    const partial = `${target}.${process.pid}.${Date.now()}.partial`
    await writeFile(partial, new Uint8Array(await dump.arrayBuffer()))
    await rename(partial, target)
  } catch {
    // The next start runs initdb again; nothing else depends on the snapshot.
  }
}

/** Removes a snapshot PGlite could not load (written by a crashed process, a disk error). */
export async function discardInitdbSnapshot (dir: string = SNAPSHOT_DIR): Promise<void> {
  await rm(snapshotPath(dir), { force: true })
}

function snapshotPath (dir: string): string {
  return join(dir, `pglite-${pgliteVersion()}-initdb.tar`)
}

let version: string | undefined

// The snapshot is only valid for the PGlite build that made it.
function pgliteVersion (): string {
  if (version !== undefined) return version
  const require = createRequire(import.meta.url)
  const entry = require.resolve('@electric-sql/pglite')
  const pkg = require(join(dirname(entry), '..', 'package.json')) as { version?: string }
  version = pkg.version ?? 'unknown'
  return version
}
