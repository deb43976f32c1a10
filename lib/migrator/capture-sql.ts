import type { Transaction } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { sentSql } from '../connection/sequelize-internals.js'

let captures = 0

/**
 * Runs `fn` and returns the SQL statements it sent inside `transaction`, in the order they
 * finished (a statement that fails included). Every statement, whichever API sent it (raw
 * `query` or `queryInterface`), passes Sequelize's public `afterQuery` hook with its options and
 * its final SQL. A hook leaves the app's `logging` alone and sees the app's concurrent queries on
 * the same instance only to skip them: they belong to another transaction or to none.
 */
export async function captureSql (sequelize: Sequelize, transaction: Transaction, fn: () => Promise<void>): Promise<string[]> {
  const statements: string[] = []
  // One name per call, so that two plans on one instance remove only their own hook.
  const hookName = `coach-db-capture-sql-${++captures}`
  sequelize.addHook('afterQuery', hookName, (options, query) => {
    if (options.transaction !== transaction) return
    const sql = sentSql(query)
    if (sql !== undefined) statements.push(sql)
  })
  try {
    await fn()
  } finally {
    sequelize.removeHook('afterQuery', hookName)
  }
  return statements
}
