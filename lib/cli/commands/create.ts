import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import { delimiter, dirname, join, relative, resolve } from 'node:path'
import { EXIT, type CliCommand } from '../types.js'
import { migrationsDirsFromEnv } from '../../options.js'
import { DEFAULT_MIGRATIONS_DIR } from '../../migrator/discover.js'
import { defaultMigrationFolders, nearestPackageJson, PACKAGE_JSON_FIELD, type MigrationFolders } from '../../migrator/folders.js'
import { autogenerateFile } from './create-autogenerate.js'

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
  usage: 'coach-db create <description> [--dir DIR] [--autogenerate] [--json]',
  help: [
    '  <description>  words for the file name, e.g. "add message embedding" → add_message_embedding',
    '  --dir DIR      where to write it (default: the last folder of COACH_DB_MIGRATIONS_DIR; else the',
    '                 folder named by "coach-db": { "migrations": … } in package.json; else ./migrations,',
    '                 which is then added to package.json so that up and the plugin read it)',
    '  --autogenerate up = the DDL that turns the database into what the models declare (the diff',
    '                 "coach-db check" prints; app models from COACH_DB_MODELS), down = its reverse.',
    '                 What is unsafe to guess (rename, narrowing type, NOT NULL over NULLs) is a TODO.',
    '  --json         print {"created": path, "readByUp": true|false} instead of text',
    '',
    'Writes .ts in a checkout of this package (its CLI runs on tsx). In an app, JavaScript with JSDoc',
    'types that plain Node loads: .js (export) when its package.json has "type": "module", else .cjs.'
  ].join('\n'),
  options: { dir: { type: 'string' }, json: { type: 'boolean' }, autogenerate: { type: 'boolean' } },
  run: async (ctx) => {
    const description = toSnakeCase(ctx.positionals.join(' '))
    if (description === '') {
      ctx.err('coach-db create: give a description, e.g. coach-db create add message embedding')
      return EXIT.USAGE
    }
    const fromEnv = migrationsDirsFromEnv(ctx.env)
    const found = fromEnv === undefined ? await defaultMigrationFolders() : undefined
    const read = fromEnv ?? found?.dirs ?? [DEFAULT_MIGRATIONS_DIR]
    const dir = resolve(typeof ctx.values.dir === 'string' ? ctx.values.dir : defaultFolder(fromEnv, found))
    // An app's first migration: declare the folder in package.json, so that what create writes
    // is what up, status, plan, check and the plugin run.
    const declare = typeof ctx.values.dir !== 'string' && found !== undefined && found.appDir === undefined && !found.ownCheckout && found.packageJson !== undefined
    if (declare) {
      await declareFolder(found.packageJson as string, dir)
      read.push(dir)
    }
    const { flavour, importFrom } = await flavourFor(dir)
    const file = join(dir, `${utcTimestamp(new Date())}_${description}.${flavour}`)
    await mkdir(dir, { recursive: true })
    if (await exists(file)) {
      ctx.err(`coach-db create: ${file} already exists; wait a second and try again.`)
      return EXIT.FAILED
    }
    if (ctx.values.autogenerate === true) {
      const text = await autogenerateFile(ctx, { description, importFrom, extension: flavour })
      if (text === undefined) return EXIT.OK
      await writeFile(file, text, { flag: 'wx' })
    } else {
      await writeFile(file, TEMPLATES[flavour](importFrom, description), { flag: 'wx' })
    }
    const readByUp = read.some(folder => resolve(folder) === dir)
    if (ctx.values.json === true) {
      ctx.out(JSON.stringify({ created: file, readByUp, declaredIn: declare ? found?.packageJson : undefined }))
      return EXIT.OK
    }
    ctx.out(`created ${file}`)
    if (declare) ctx.out(`added "${PACKAGE_JSON_FIELD}": { "migrations": "${relative(dirname(found?.packageJson as string), dir)}" } to ${found?.packageJson as string}: coach-db and the plugin read this folder after the package's own migrations`)
    if (!readByUp) {
      ctx.out(`note: "coach-db up" reads ${read.join(', ')}; to run this migration too, name its folder in package.json ("${PACKAGE_JSON_FIELD}": { "migrations": "…" }) or set COACH_DB_MIGRATIONS_DIR=${[...read, dir].join(delimiter)} (and the plugin's migrationsDir to the same folders).`)
    }
    return EXIT.OK
  }
}

// The last folder of COACH_DB_MIGRATIONS_DIR; else the app's declared folder; else this
// package's own in a checkout of it; else migrations/ next to the app's package.json.
function defaultFolder (fromEnv: string[] | undefined, found: MigrationFolders | undefined): string {
  if (fromEnv !== undefined) return fromEnv[fromEnv.length - 1] as string
  if (found?.appDir !== undefined) return found.appDir
  if (found?.ownCheckout === true) return DEFAULT_MIGRATIONS_DIR
  return found?.packageJson !== undefined ? join(dirname(found.packageJson), 'migrations') : 'migrations'
}

// Adds the field, keeping the file's indentation (npm's own edits do the same).
async function declareFolder (packageJson: string, dir: string): Promise<void> {
  const text = await readFile(packageJson, 'utf8')
  const json = JSON.parse(text) as Record<string, unknown>
  const indent = /^[ \t]+(?=")/m.exec(text)?.[0] ?? '  '
  json[PACKAGE_JSON_FIELD] = { migrations: relative(dirname(packageJson), dir) }
  await writeFile(packageJson, `${JSON.stringify(json, null, indent)}\n`)
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
  const pkg = (await nearestPackageJson(dir))?.json
  if (pkg?.name === 'fastify-coach-db') return { flavour: 'ts', importFrom: '../lib/migrator/types.js' }
  return { flavour: pkg?.type === 'module' ? 'js' : 'cjs', importFrom: 'fastify-coach-db' }
}

async function exists (path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
