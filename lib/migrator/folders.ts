import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { OptionsError } from '../errors.js'
import { DEFAULT_MIGRATIONS_DIR } from './discover.js'

/** The package.json field that names an app's migrations folder: `"coach-db": { "migrations": "migrations" }`. */
export const PACKAGE_JSON_FIELD = 'coach-db'

/** Where migrations are read from when no folder is given explicitly. */
export interface MigrationFolders {
  /** The package's own folder, then the app's when it declares one: the order `up` runs them in. */
  dirs: string[]
  /** The app's folder from its package.json, when declared. */
  appDir: string | undefined
  /** The nearest package.json above the starting folder, if any. */
  packageJson: string | undefined
  /** Whether that package.json is this package's own (a checkout of fastify-coach-db). */
  ownCheckout: boolean
}

/**
 * The one convention the CLI and the plugin share: the package's own migrations, then the folder
 * the app names in its package.json (`"coach-db": { "migrations": "<folder>" }`, relative to that
 * package.json), found from `cwd` upwards as npm finds a package. An explicit `migrationsDir`
 * option or `COACH_DB_MIGRATIONS_DIR` replaces this. A folder is only read when declared, so
 * another tool's `migrations/` (knex names its files the same way) is never run by mistake.
 */
export async function defaultMigrationFolders (cwd: string = process.cwd()): Promise<MigrationFolders> {
  const found = await nearestPackageJson(cwd)
  if (found === undefined) return { dirs: [DEFAULT_MIGRATIONS_DIR], appDir: undefined, packageJson: undefined, ownCheckout: false }
  const ownCheckout = found.json.name === 'fastify-coach-db' && resolve(dirname(found.path), 'migrations') === resolve(DEFAULT_MIGRATIONS_DIR)
  const appDir = ownCheckout ? undefined : declaredFolder(found.path, found.json)
  return { dirs: appDir === undefined ? [DEFAULT_MIGRATIONS_DIR] : [DEFAULT_MIGRATIONS_DIR, appDir], appDir, packageJson: found.path, ownCheckout }
}

function declaredFolder (path: string, json: Record<string, unknown>): string | undefined {
  const field = json[PACKAGE_JSON_FIELD]
  if (field === undefined) return undefined
  const folder = (field as { migrations?: unknown } | null)?.migrations
  if (typeof field !== 'object' || field === null || Array.isArray(field) || typeof folder !== 'string' || folder.trim() === '') {
    throw new OptionsError(`"${PACKAGE_JSON_FIELD}" in ${path} must be an object with "migrations": the app's migrations folder relative to it, e.g. { "migrations": "migrations" }.`)
  }
  return resolve(dirname(path), folder)
}

/** The nearest package.json at or above `dir`, parsed. */
export async function nearestPackageJson (dir: string): Promise<{ path: string, json: Record<string, unknown> } | undefined> {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const path = join(at, 'package.json')
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      if (dirname(at) === at) return undefined
      continue
    }
    try {
      return { path, json: JSON.parse(text) as Record<string, unknown> }
    } catch (err) {
      throw new OptionsError(`${path} is not valid JSON: ${(err as Error).message}.`, { cause: err })
    }
  }
}
