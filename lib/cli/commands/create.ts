import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { EXIT, type CliCommand } from '../types.js'

const TEMPLATE = (importFrom: string, description: string): string => `import type { MigrationFn } from '${importFrom}'

// ${description.replace(/_/g, ' ')}
// Runs in one transaction with its row in schema_migrations. Use context.query (it joins that
// transaction); with context.queryInterface pass { transaction: context.transaction }.
// For CREATE INDEX CONCURRENTLY, add: export const transaction = false

export const up: MigrationFn = async ({ context }) => {
  await context.query('SELECT 1')
}

export const down: MigrationFn = async ({ context }) => {
  await context.query('SELECT 1')
}
`

export const create: CliCommand = {
  name: 'create',
  summary: 'scaffold migrations/<UTC timestamp>_<description>.ts',
  usage: 'coach-db create <description> [--dir DIR]',
  help: [
    '  <description>  words for the file name, e.g. "add message embedding" → add_message_embedding',
    '  --dir DIR      where to write it (default: COACH_DB_MIGRATIONS_DIR, else ./migrations)'
  ].join('\n'),
  options: { dir: { type: 'string' } },
  run: async (ctx) => {
    const description = toSnakeCase(ctx.positionals.join(' '))
    if (description === '') {
      ctx.err('coach-db create: give a description, e.g. coach-db create add message embedding')
      return EXIT.USAGE
    }
    const dir = resolve(typeof ctx.values.dir === 'string' ? ctx.values.dir : ctx.env.COACH_DB_MIGRATIONS_DIR ?? 'migrations')
    const file = join(dir, `${utcTimestamp(new Date())}_${description}.ts`)
    await mkdir(dir, { recursive: true })
    if (await exists(file)) {
      ctx.err(`coach-db create: ${file} already exists; wait a second and try again.`)
      return EXIT.FAILED
    }
    await writeFile(file, TEMPLATE(await importPathFor(dir), description), { flag: 'wx' })
    ctx.out(`created ${file}`)
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
