import type pg from 'pg'
import { Mutex } from './mutex.js'

/** The pg client Sequelize's postgres dialect hands out as a "connection". */
export type PgConnection = pg.Client

type Result = pg.QueryResult

/**
 * The one connection a test runs on, inside the test's outer transaction. Statements are queued
 * so that a multi-statement unit (savepoint, statement, release) is never interleaved with
 * statements of concurrent requests, which would release or roll back each other's savepoints.
 */
export class PinnedConnection {
  readonly client: PgConnection
  private readonly queue = new Mutex()

  constructor (client: PgConnection) {
    this.client = client
  }

  /** A statement of the harness itself (BEGIN, ROLLBACK, test savepoints). */
  async control (sql: string): Promise<Result> {
    return await this.queue.run(async () => await this.client.query(sql))
  }

  /**
   * A statement that is not part of an app transaction. Outside the harness it would run in
   * autocommit mode, where a failure (say a unique violation the route turns into a 409) affects
   * nothing else; here it gets its own savepoint for the same effect, instead of leaving the
   * test's transaction aborted for every later query.
   */
  async autonomous (sql: string, values: unknown[] | undefined): Promise<Result> {
    return await this.queue.run(async () => {
      await this.client.query('SAVEPOINT coach_stmt')
      try {
        const result = await this.client.query(sql, values)
        await this.client.query('RELEASE SAVEPOINT coach_stmt')
        return result
      } catch (err) {
        await this.client.query('ROLLBACK TO SAVEPOINT coach_stmt; RELEASE SAVEPOINT coach_stmt').catch(() => {})
        throw err
      }
    })
  }

  /** A statement of an app transaction, which already runs inside its own savepoint. */
  async inTransaction (sql: string, values: unknown[] | undefined): Promise<Result> {
    return await this.queue.run(async () => await this.client.query(sql, values))
  }
}
