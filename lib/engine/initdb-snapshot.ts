import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { PGliteHandle } from './pglite-handle.js'
import { LOCK_FILE } from './data-directory.js'

/**
 * A brand-new PGlite cluster costs an initdb run: 3 to 5 s of WebAssembly on every
 * `pglite://memory` start and on the first start of a directory. The result is the same every
 * time for one PGlite version, so it is saved once (a ~40 MB tarball in the OS temp folder) and
 * later engines load it in about half a second. Nothing in it is user data, and nothing in it
 * belongs to one directory: the directory's lock file is left out when saving and when loading.
 */
export const SNAPSHOT_DIR = join(tmpdir(), 'fastify-coach-db')

/** The saved fresh cluster for the installed PGlite, or `undefined` when there is none yet. */
export async function readInitdbSnapshot (dir: string = SNAPSHOT_DIR): Promise<Blob | undefined> {
  const bytes = await readFile(snapshotPath(dir)).catch(() => undefined)
  return bytes === undefined ? undefined : new Blob([withoutLockFile(bytes)], { type: 'application/x-tar' })
}

/** Saves a fresh, untouched cluster for later starts. Best effort: a failure only costs time. */
export async function saveInitdbSnapshot (db: PGliteHandle, dir: string = SNAPSHOT_DIR): Promise<void> {
  try {
    const dump = await db.dumpDataDir('none')
    await mkdir(dir, { recursive: true })
    const target = snapshotPath(dir)
    // Written aside and renamed, so a parallel reader never sees half a file.
    const partial = `${target}.${process.pid}.${Date.now()}.partial`
    await writeFile(partial, withoutLockFile(Buffer.from(await dump.arrayBuffer())))
    await rename(partial, target)
  } catch {
    // The next start runs initdb again; nothing else depends on the snapshot.
  }
}

/** Removes a snapshot PGlite could not load (written by a crashed process, a disk error). */
export async function discardInitdbSnapshot (dir: string = SNAPSHOT_DIR): Promise<void> {
  await rm(snapshotPath(dir), { force: true })
}

/**
 * The tarball without any `coach-db.lock` entry. PGlite dumps the whole data directory, and the
 * engine's lock lives there; copied into another directory it would name a process that never
 * opened that directory (so a second process could take it over while the first lives).
 * PGlite writes plain ustar: 512-byte headers, each followed by its data padded to 512 bytes.
 */
export function withoutLockFile (tar: Buffer): Buffer {
  const kept: Buffer[] = []
  let offset = 0
  let dropped = false
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512)
    if (header.every(byte => byte === 0)) break
    const size = Number.parseInt(cstring(header, 124, 12).trim() || '0', 8)
    const end = offset + 512 + Math.ceil(size / 512) * 512
    const name = cstring(header, 0, 100)
    if (name === LOCK_FILE || name.endsWith(`/${LOCK_FILE}`)) dropped = true
    else kept.push(tar.subarray(offset, end))
    offset = end
  }
  if (!dropped) return tar
  kept.push(Buffer.alloc(1024)) // end-of-archive marker
  return Buffer.concat(kept)
}

function cstring (bytes: Buffer, start: number, length: number): string {
  const field = bytes.subarray(start, start + length)
  const nul = field.indexOf(0)
  return field.subarray(0, nul === -1 ? length : nul).toString('utf8')
}

// `-v2`: the unversioned name held snapshots saved with the lock of the directory that made them
// (every directory started from one carried a stranger's lock); they are never read again.
function snapshotPath (dir: string): string {
  return join(dir, `pglite-${pgliteVersion()}-initdb-v2.tar`)
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
