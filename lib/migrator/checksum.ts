import { createHash } from 'node:crypto'
import { readFile, access } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { MigrationFile } from './types.js'

/**
 * SHA-256 of a migration's source. A compiled `dist/migrations/x.js` of this package is
 * checksummed as its `migrations/x.ts` source: from the source file in a checkout, else from
 * `dist/migrations/checksums.json`, written at build time (the tarball ships no .ts). So a
 * database migrated from a source checkout, or by an earlier release, is not reported as edited by
 * the installed build, and a new compiler's output never changes a checksum. Line endings are
 * normalised so a checkout on Windows agrees with one on Linux.
 */
export async function migrationChecksum (file: MigrationFile): Promise<string> {
  const source = await sourceOf(file)
  if (source === file.path) {
    const built = await builtChecksum(file)
    if (built !== undefined) return built
  }
  const text = await readFile(source, 'utf8')
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex')
}

const manifests = new Map<string, Promise<Record<string, string> | undefined>>()

async function builtChecksum (file: MigrationFile): Promise<string | undefined> {
  if (!isBuiltMigration(file)) return undefined
  const path = join(dirname(file.path), 'checksums.json')
  let manifest = manifests.get(path)
  if (manifest === undefined) {
    manifest = readFile(path, 'utf8').then(text => JSON.parse(text) as Record<string, string>, () => undefined)
    manifests.set(path, manifest)
  }
  return (await manifest)?.[file.name]
}

function isBuiltMigration (file: MigrationFile): boolean {
  const dir = dirname(file.path)
  return file.path.endsWith('.js') && basename(dir) === 'migrations' && basename(dirname(dir)) === 'dist'
}

async function sourceOf (file: MigrationFile): Promise<string> {
  if (!isBuiltMigration(file)) return file.path
  const source = join(dirname(file.path), '..', '..', 'migrations', `${file.name}.ts`)
  try {
    await access(source)
    return source
  } catch {
    return file.path
  }
}
