import type { CliContext, CliDatabase } from '../types.js'
import type { CoachDbOptions } from '../../types.js'

/** Runs `fn` with an open database and always closes it; `flags` are the command's flags as plugin options. */
export async function withDatabase (ctx: CliContext, fn: (db: CliDatabase) => Promise<number>, flags?: CoachDbOptions): Promise<number> {
  const db = await ctx.openDatabase(flags)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}
