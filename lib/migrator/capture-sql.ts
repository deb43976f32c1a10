import type { Transaction } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'

/**
 * Runs `fn` and returns the SQL statements it sent inside `transaction`, in order. Sequelize
 * reports every query through its `logging` option as "Executing (<transaction id>): <sql>",
 * whichever API sent it (raw `query` or `queryInterface`), so the capture listens there and keeps
 * only this transaction's statements.
 */
export async function captureSql (sequelize: Sequelize, transaction: Transaction, fn: () => Promise<void>): Promise<string[]> {
  const statements: string[] = []
  const prefix = `Executing (${(transaction as unknown as { id: string }).id}): `
  const options = sequelize.options as { logging?: unknown, benchmark?: boolean }
  const previous = { logging: options.logging, benchmark: options.benchmark }
  options.benchmark = false
  options.logging = (message: string, ...rest: unknown[]) => {
    if (message.startsWith(prefix)) statements.push(message.slice(prefix.length))
    // Everything else (an app's own queries on this Sequelize) is still logged as before.
    else if (typeof previous.logging === 'function') previous.logging(message, ...rest)
  }
  try {
    await fn()
  } finally {
    options.logging = previous.logging
    options.benchmark = previous.benchmark
  }
  return statements
}
