import { readdir } from 'node:fs/promises'
import { OptionsError } from '../errors.js'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MigrationFile } from './types.js'

/** `<14-digit UTC timestamp>_<snake_case description>.<ts|js>`; declaration files are not migrations. */
const MIGRATION_FILE = /^(\d{14}_[a-z0-9_]+)\.(ts|js|mjs|cjs)$/

/**
 * The package's own migrations: `migrations/` next to `lib/` in a source checkout (TypeScript)
 * and `dist/migrations/` next to `dist/lib/` when installed (compiled JavaScript).
 */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

/**
 * Lists the migration files of one folder, or of several merged (the package's own and an app's),
 * in name (= time) order. When both `.ts` and `.js` exist for a name, one is kept.
 */
export async function discoverMigrations (dirs: string | readonly string[]): Promise<MigrationFile[]> {
  const byName = new Map<string, MigrationFile>()
  for (const dir of typeof dirs === 'string' ? [dirs] : dirs) {
    for (const file of await listFolder(dir)) {
      if (file.endsWith('.d.ts')) continue
      const match = MIGRATION_FILE.exec(file)
      if (match === null) continue
      const name = match[1] as string
      if (!byName.has(name)) byName.set(name, { name, path: join(dir, file) })
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
}

async function listFolder (dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    throw new OptionsError(`Migrations folder ${dir} does not exist. Create it ("coach-db create <description>" does), or fix migrationsDir / COACH_DB_MIGRATIONS_DIR / "coach-db".migrations in package.json.`, { cause: err })
  }
}
