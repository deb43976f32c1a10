import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import { delimiter, dirname, join, resolve } from 'node:path'
import { EXIT, type CliCommand } from '../types.js'
import { migrationsDirsFromEnv } from '../database.js'
import { DEFAULT_MIGRATIONS_DIR } from '../../migrator/discover.js'

const HEADER = (description: string): string => `// ${description.replace(/_/g, ' ')}
// Runs in one transaction with its row in schema_migrations. Use context.query (it joins that
// transaction); with context.queryInterface pass { transaction: context.transaction }.
// For CREATE INDEX CONCURRENTLY, add: export const transaction = false
`

const BODY = (typed: (name: string) => string): string => `
${typed('up')} async ({ context }) => {
  await context.query('SELECT 1')
}

${typed('down')} async ({ context }) => {
  await context.query('SELECT 1')
}
`

// Where the CLI itself runs from sources (tsx), its own migrations/ is the default folder.
const FROM_SOURCES = import.meta.url.endsWith('.ts')

/** How a new migration file is written: its extension, and the text for a description. */
export type MigrationFlavour = 'ts' | 'js' | 'cjs'

/**
 * The text of a new migration file: `.ts` in a checkout of this package (its CLI runs on tsx),
 * and plain JavaScript with JSDoc types in an app, which the installed CLI loads on plain Node:
 * `.js` with `export` in an ESM app (`"type": "module"`), `.cjs` with `exports.up` otherwise.
 */
export const TEMPLATES: Record<MigrationFlavour, (importFrom: string, description: string) => string> = {
  ts: (importFrom, description) =>
    `import type { MigrationFn } from '${importFrom}'\n\n${HEADER(description)}${BODY(name => `export const ${name}: MigrationFn =`)}`,
  js: (importFrom, description) =>
    `${HEADER(description)}${BODY(name => `/** @type {import('${importFrom}').MigrationFn} */\nexport const ${name} =`)}`,
  cjs: (importFrom, description) =>
    `${HEADER(description)}${BODY(name => `/** @type {import('${importFrom}').MigrationFn} */\nexports.${name} =`)}`
}

export const create: CliCommand = {
  name: 'create',
  summary: 'scaffold migrations/<UTC timestamp>_<description>.js (.cjs, .ts)',
  usage: 'coach-db create <description> [--dir DIR] [--json]',
  help: [
    '  <description>  words for the file name, e.g. "add message embedding" → add_message_embedding',
    '  --dir DIR      where to write it (default: the last folder of COACH_DB_MIGRATIONS_DIR; else',
    '                 ./migrations, or this package\'s migrations/ in a checkout of it)',
    '  --json         print {"created": path, "readByUp": true|false} instead of text',
    '',
    'Writes .ts in a checkout of this package (its CLI runs on tsx). In an app, JavaScript with JSDoc',
    'types that plain Node loads: .js (export) when its package.json has "type": "module", else .cjs.'
  ].join('\n'),
  options: { dir: { type: 'string' }, json: { type: 'boolean' } },
  run: async (ctx) => {
    const description = toSnakeCase(ctx.positionals.join(' '))
    if (description === '') {
      ctx.err('coach-db create: give a description, e.g. coach-db create add message embedding')
      return EXIT.USAGE
    }
    const read = migrationsDirsFromEnv(ctx.env) ?? [DEFAULT_MIGRATIONS_DIR]
    // Installed, the package's own folder is inside node_modules: an app's migrations go to ./migrations.
    const fallback = migrationsDirsFromEnv(ctx.env) !== undefined || FROM_SOURCES ? read[read.length - 1] as string : 'migrations'
    const dir = resolve(typeof ctx.values.dir === 'string' ? ctx.values.dir : fallback)
    const { flavour, importFrom } = await flavourFor(dir)
    const file = join(dir, `${utcTimestamp(new Date())}_${description}.${flavour}`)
    await mkdir(dir, { recursive: true })
    if (await exists(file)) {
      ctx.err(`coach-db create: ${file} already exists; wait a second and try again.`)
      return EXIT.FAILED
    }
    await writeFile(file, TEMPLATES[flavour](importFrom, description), { flag: 'wx' })
    const readByUp = read.some(folder => resolve(folder) === dir)
    if (ctx.values.json === true) {
      ctx.out(JSON.stringify({ created: file, readByUp }))
      return EXIT.OK
    }
    ctx.out(`created ${file}`)
    if (!readByUp) {
      ctx.out(`note: "coach-db up" reads ${read.join(', ')}; to run this migration too, set COACH_DB_MIGRATIONS_DIR=${[...read, dir].join(delimiter)} (and the plugin's migrationsDir to the same folders).`)
    }
    return EXIT.OK
  }
}

/** `YYYYMMDDHHMMSS` in UTC: migration names sort by time. */
export function utcTimestamp (date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14)
}

function toSnakeCase (text: string): string {
  return text.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '')
}

/**
 * The flavour the folder's package needs, read from the nearest package.json above it: this
 * package's own checkout gets TypeScript typed from its sources; an app gets JavaScript of its
 * module type. A CommonJS app gets `.cjs` rather than `.js`, so its migrations keep loading (and
 * keep their checksums) if the app later moves to `"type": "module"`.
 */
export async function flavourFor (dir: string): Promise<{ flavour: MigrationFlavour, importFrom: string }> {
  const pkg = await nearestPackageJson(dir)
  if (pkg?.name === 'fastify-coach-db') return { flavour: 'ts', importFrom: '../lib/migrator/types.js' }
  return { flavour: pkg?.type === 'module' ? 'js' : 'cjs', importFrom: 'fastify-coach-db' }
}

async function nearestPackageJson (dir: string): Promise<{ name?: string, type?: string } | undefined> {
  for (let at = resolve(dir); ; at = dirname(at)) {
    try {
      return JSON.parse(await readFile(join(at, 'package.json'), 'utf8')) as { name?: string, type?: string }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    if (dirname(at) === at) return undefined
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
