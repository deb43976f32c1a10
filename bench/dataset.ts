import pg from 'pg'

/** Counts of a generated data set. */
export interface DatasetSize {
  users: number
  conversations: number
  messages: number
}

/**
 * Fills a migrated database with synthetic users, conversations and messages in SQL (generate_series),
 * which is far faster than going through the models: a million messages in seconds, not minutes.
 * Messages get increasing created_at per conversation so "newest first" has a real order.
 */
export async function generateDataset (url: string, size: DatasetSize): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`INSERT INTO users (email, name, role)
      SELECT 'user' || g || '@bench.example', 'User ' || g, (ARRAY['educator','coach','admin'])[1 + g % 3]
      FROM generate_series(1, $1) AS g`, [size.users])
    await client.query(`INSERT INTO conversations (user_id, title)
      SELECT u.id, 'Conversation ' || g
      FROM generate_series(1, $1) AS g
      JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM users) u ON u.n = g % $2`, [size.conversations, size.users])
    await client.query(`INSERT INTO messages (conversation_id, role, content, citations, domains, input_tokens, output_tokens, cost_usd, created_at)
      SELECT c.id,
             CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END,
             'Message ' || g || ' of a benchmark conversation, long enough to look like a real answer.',
             CASE WHEN g % 2 = 1 THEN '{"sources":[{"title":"Source","url":"https://example.com","relevance":0.9}],"confidence":0.9}'::jsonb END,
             ARRAY['math'], 10, 20, 0.000123,
             timestamptz '2026-01-01' + (g || ' seconds')::interval
      FROM conversations c
      CROSS JOIN LATERAL generate_series(1, $1::int) AS g`, [Math.ceil(size.messages / size.conversations)])
    await client.query('ANALYZE')
  } finally {
    await client.end()
  }
}

/** Ids of up to `limit` conversations, for requests to spread over. */
export async function conversationIds (url: string, limit = 1000): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query('SELECT id FROM conversations ORDER BY id LIMIT $1', [limit])
    return rows.map(r => r.id as string)
  } finally {
    await client.end()
  }
}
