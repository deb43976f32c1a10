import { createHash } from 'node:crypto'
import { readFile, access } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { MigrationFile } from './types.js'

/**
 * SHA-256 of a migration's source. A compiled `dist/migrations/x.js` is checksummed through its
 * `migrations/x.ts` source when the package ships it, so a database migrated from a source
 * checkout is not reported as edited by the installed build (and the other way round). Line
 * endings are normalised so a checkout on Windows agrees with one on Linux.
 */
export async function migrationChecksum (file: MigrationFile): Promise<string> {
  const text = await readFile(await sourceOf(file), 'utf8')
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex')
}

async function sourceOf (file: MigrationFile): Promise<string> {
  if (!file.path.endsWith('.js')) return file.path
  const dir = dirname(file.path)
  if (basename(dir) !== 'migrations' || basename(dirname(dir)) !== 'dist') return file.path
  const source = join(dir, '..', '..', 'migrations', `${file.name}.ts`)
  try {
    await access(source)
    return source
  } catch {
    return file.path
  }
}
