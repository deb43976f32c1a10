import type { CliContext, CliDatabase } from '../types.js'
import type { MigratorOptions } from '../../migrator/types.js'

/** Runs `fn` with an open database and always closes it. */
export async function withDatabase (ctx: CliContext, fn: (db: CliDatabase) => Promise<number>, migratorOptions?: Partial<MigratorOptions>): Promise<number> {
  const db = await ctx.openDatabase(migratorOptions)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}
