import pg from 'pg'

/** Runs one statement on a connection of its own (outside any app pool) and returns its rows. */
export async function queryRows<R extends pg.QueryResultRow = Record<string, unknown>> (url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(sql, values)).rows
  } finally {
    await client.end()
  }
}

/** Tables in the public schema, sorted. */
export async function tableNames (url: string): Promise<string[]> {
  const rows = await queryRows<{ table_name: string }>(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
  return rows.map(r => r.table_name)
}
