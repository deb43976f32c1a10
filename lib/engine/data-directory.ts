import { access, constants, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { EmbeddedEngineError } from './errors.js'

/** Name of the lock file the engine keeps in its data directory while it runs. */
export const LOCK_FILE = 'coach-db.lock'

/** A data directory checked and locked for this process; `release` removes the lock. */
export interface LockedDirectory {
  readonly path: string
  /** `true` when the directory already held a database (a restart), `false` for a new one. */
  readonly existing: boolean
  release: () => Promise<void>
}

// Directories open in this process: the pid in the lock file can't tell two engines of one process apart.
const openHere = new Set<string>()

/**
 * Makes sure `path` can hold a PGlite database and that nobody else has it open. Two engines
 * writing one data directory corrupt it, and PGlite itself does not stop that, so the engine
 * keeps a lock file with its pid; a lock left by a process that has died is taken over.
 */
export async function lockDataDirectory (path: string): Promise<LockedDirectory> {
  await ensureDirectory(path)
  const existing = await isDataDirectory(path)
  if (!existing) await refuseForeignFiles(path)
  await takeLock(path)
  let released = false
  return {
    path,
    existing,
    release: async () => {
      if (released) return
      released = true
      openHere.delete(path)
      await rm(join(path, LOCK_FILE), { force: true })
    }
  }
}

async function ensureDirectory (path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined)
  if (info !== undefined && !info.isDirectory()) {
    throw new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_DIRECTORY', `The embedded database directory ${path} is a file, not a directory. Point pglite:// at a directory (it is created if missing).`)
  }
  try {
    await mkdir(path, { recursive: true })
    await access(path, constants.R_OK | constants.W_OK)
  } catch (err) {
    throw new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_DIRECTORY', `The embedded database directory ${path} can't be created or written (${(err as NodeJS.ErrnoException).code ?? String(err)}). Check its permissions or choose another directory.`, { cause: err })
  }
}

async function isDataDirectory (path: string): Promise<boolean> {
  return await access(join(path, 'PG_VERSION')).then(() => true, () => false)
}

// PGlite's initdb would write a new cluster in between someone's files; refuse instead.
async function refuseForeignFiles (path: string): Promise<void> {
  const entries = (await readdir(path)).filter(name => name !== LOCK_FILE)
  if (entries.length === 0) return
  const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '')
  throw new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_DIRECTORY', `The embedded database directory ${path} is not empty and is not a PostgreSQL data directory (no PG_VERSION; it holds ${shown}). Use an empty or new directory.`)
}

async function takeLock (path: string): Promise<void> {
  const lockPath = join(path, LOCK_FILE)
  if (openHere.has(path)) throw inUse(path, process.pid)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx')
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      openHere.add(path)
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_DIRECTORY', `Could not write the lock file ${lockPath} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, { cause: err })
      }
      const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10)
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) throw inUse(path, holder)
      // Left behind by a process that crashed (or by this pid in an earlier life): take it over.
      await rm(lockPath, { force: true })
    }
  }
  throw inUse(path, undefined)
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function inUse (path: string, pid: number | undefined): EmbeddedEngineError {
  const who = pid === process.pid ? 'another embedded engine in this process' : `process ${pid ?? '?'}`
  return new EmbeddedEngineError('ERR_COACH_DB_EMBEDDED_IN_USE', `The embedded database directory ${path} is already open by ${who}. PGlite is single-process: stop the other one, or use another directory. If no such process runs, delete ${join(path, LOCK_FILE)}.`)
}
