import pg from 'pg'
import { median } from './stats.js'
import type { Figure } from './stats.js'

const ROWS = 100_000
const DIMENSIONS = 32
const QUERIES = 50
const K = 10
const NEAREST = `SELECT message_id FROM message_embeddings ORDER BY embedding <=> $1::vector LIMIT ${K}`

function randomVector (): string {
  return JSON.stringify(Array.from({ length: DIMENSIONS }, () => Math.random()))
}

/**
 * docs/vector.md at the size: 100,000 message embeddings (vector(32), random), the HNSW
 * index built CONCURRENTLY as the app migration does, then the same k=10 cosine query with the
 * index and as an exact scan (index scans off). Publishes recall@10 of the index against the exact
 * answer and exact time / HNSW time, and prints the plan.
 */
export async function benchVector (url: string): Promise<Figure[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`CREATE TABLE message_embeddings (
      message_id uuid NOT NULL PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
      embedding vector(${DIMENSIONS}) NOT NULL)`)
    await client.query(`WITH u AS (INSERT INTO users (email, name, role) VALUES ('vector-bench@example.test', 'Vector bench', 'coach') RETURNING id),
      c AS (INSERT INTO conversations (user_id) SELECT id FROM u RETURNING id),
      m AS (INSERT INTO messages (conversation_id, role, content) SELECT c.id, 'user', 'm' || g FROM c, generate_series(1, ${ROWS}) g RETURNING id)
      INSERT INTO message_embeddings (message_id, embedding)
      SELECT id, (SELECT array_agg(random()) FROM generate_series(1, ${DIMENSIONS}) WHERE m.id IS NOT NULL)::vector(${DIMENSIONS}) FROM m`)
    let started = performance.now()
    await client.query('CREATE INDEX CONCURRENTLY idx_message_embeddings_hnsw ON message_embeddings USING hnsw (embedding vector_cosine_ops)')
    const buildMs = performance.now() - started
    await client.query('ANALYZE message_embeddings')
    const plan = (await client.query(`EXPLAIN ${NEAREST}`, [randomVector()])).rows.map(row => row['QUERY PLAN'] as string)
    console.log(`vector: EXPLAIN on ${ROWS} rows\n  ${plan.join('\n  ')}`)

    const queries = Array.from({ length: QUERIES }, randomVector)
    const run = async (vector: string): Promise<{ ms: number, ids: string[] }> => {
      started = performance.now()
      const result = await client.query(NEAREST, [vector])
      return { ms: performance.now() - started, ids: result.rows.map(row => row.message_id as string) }
    }
    await run(queries[0] as string) // warm-up
    const hnsw: Array<{ ms: number, ids: string[] }> = []
    for (const vector of queries) hnsw.push(await run(vector))
    await client.query('SET enable_indexscan = off')
    const exact: Array<{ ms: number, ids: string[] }> = []
    for (const vector of queries) exact.push(await run(vector))
    await client.query('RESET enable_indexscan')

    const recall = hnsw.reduce((sum, approx, i) => sum + approx.ids.filter(id => exact[i]?.ids.includes(id)).length / K, 0) / QUERIES
    const hnswMs = median(hnsw.map(r => r.ms))
    const exactMs = median(exact.map(r => r.ms))
    return [
      { section: 'vector', name: `HNSW build, ${ROWS} × vector(${DIMENSIONS})`, value: buildMs / 1000, unit: 's' },
      { section: 'vector', name: `recall@${K} HNSW vs exact (${QUERIES} queries)`, value: recall, unit: '' },
      { section: 'vector', name: `k=${K} query, HNSW (median)`, value: hnswMs, unit: 'ms', baseline: { name: 'exact scan', value: exactMs }, ratio: hnswMs / exactMs },
      { section: 'vector', name: 'exact scan / HNSW query time', value: exactMs / hnswMs, unit: '×' }
    ]
  } finally {
    await client.end()
  }
}
