import type { CliContext, CliDatabase } from '../types.js'

/** Runs `fn` with an open database and always closes it. */
export async function withDatabase (ctx: CliContext, fn: (db: CliDatabase) => Promise<number>): Promise<number> {
  const db = await ctx.openDatabase()
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}
