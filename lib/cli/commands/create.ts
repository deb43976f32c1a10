import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import { delimiter, join, resolve } from 'node:path'
import { EXIT, type CliCommand } from '../types.js'
import { migrationsDirsFromEnv } from '../database.js'
import { DEFAULT_MIGRATIONS_DIR } from '../../migrator/discover.js'
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

// TypeScript where the CLI itself runs from sources (tsx loads it); JavaScript with JSDoc types
// for the installed CLI, which runs on plain Node and could not load a .ts migration.
const FROM_SOURCES = import.meta.url.endsWith('.ts')
/** The text of a new migration file, `.ts` or `.js`. */
export const TEMPLATES = {
  ts: (importFrom: string, description: string): string =>
    `import type { MigrationFn } from '${importFrom}'\n\n${HEADER(description)}${BODY(name => `export const ${name}: MigrationFn =`)}`,
  js: (importFrom: string, description: string): string =>
    `${HEADER(description)}${BODY(name => `/** @type {import('${importFrom}').MigrationFn} */\nexport const ${name} =`)}`
}

export const create: CliCommand = {
  name: 'create',
  summary: 'scaffold migrations/<UTC timestamp>_<description>.ts',
  usage: 'coach-db create <description> [--dir DIR] [--autogenerate]',
  help: [
    '  <description>  words for the file name, e.g. "add message embedding" → add_message_embedding',
    '  --dir DIR      where to write it (default: the last folder of COACH_DB_MIGRATIONS_DIR; else',
    '                 ./migrations, or this package\'s migrations/ in a checkout of it)',
    '  --autogenerate up = the DDL that turns the database into what the models declare (the diff',
    '                 "coach-db check" prints; app models from COACH_DB_MODELS), down = its reverse.',
    '                 What is unsafe to guess (rename, narrowing type, NOT NULL over NULLs) is a TODO.',
    '',
    'Writes .ts in a checkout of this package (its CLI runs on tsx), .js with JSDoc types when installed.'
  ].join('\n'),
  options: { dir: { type: 'string' }, autogenerate: { type: 'boolean' } },
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
    const extension = FROM_SOURCES ? 'ts' : 'js'
    const file = join(dir, `${utcTimestamp(new Date())}_${description}.${extension}`)
    await mkdir(dir, { recursive: true })
    if (await exists(file)) {
      ctx.err(`coach-db create: ${file} already exists; wait a second and try again.`)
      return EXIT.FAILED
    }
    const importFrom = await importPathFor(dir)
    if (ctx.values.autogenerate === true) {
      const text = await autogenerateFile(ctx, { description, importFrom, extension })
      if (text === undefined) return EXIT.OK
      await writeFile(file, text, { flag: 'wx' })
    } else {
      await writeFile(file, TEMPLATES[extension](importFrom, description), { flag: 'wx' })
    }
    ctx.out(`created ${file}`)
    if (!read.some(folder => resolve(folder) === dir)) {
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

// Inside this package the types come from its sources; in an app, from the installed package.
async function importPathFor (dir: string): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(join(dir, '..', 'package.json'), 'utf8')) as { name?: string }
    if (pkg.name === 'fastify-coach-db') return '../lib/migrator/types.js'
  } catch {}
  return 'fastify-coach-db'
}

async function exists (path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
