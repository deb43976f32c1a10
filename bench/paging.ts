import pg from 'pg'
import { RECENT_AFTER_SQL, RECENT_FIRST_SQL, encodeCursor } from '../models/recent-messages.js'
import { conversationIds, generateDataset } from './dataset.js'
import type { Figure } from './stats.js'

// Message.recent's keyset queries at 1 M messages (1,000 conversations of 1,000), with the
// planner's own choices (no enable_* switches): the plan must stay an index scan on
// idx_messages_conversation for the first page and for a page deep in a conversation, and a
// conversation whose 1,000 messages share one timestamp must page at limit=1 with each message
// exactly once. Prints the plans; `npx tsx bench/run.ts paging` runs only this.

const PAGE = 50

export async function benchPaging (url: string): Promise<Figure[]> {
  await generateDataset(url, { users: 100, conversations: 1_000, messages: 1_000_000 })
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const [busy] = await conversationIds(url, 1)
    // One more conversation: 1,000 messages in one instant (one INSERT, as bulkCreate or a
    // transaction would write them).
    const { rows: [tied] } = await client.query<{ id: string }>("INSERT INTO conversations (user_id, title) SELECT id, 'tied' FROM users LIMIT 1 RETURNING id")
    await client.query(`INSERT INTO messages (conversation_id, role, content) SELECT $1, 'user', 'tied ' || g FROM generate_series(1, 1000) AS g`, [tied?.id])
    await client.query('ANALYZE')
    const { rows: [{ n }] } = await client.query<{ n: string }>('SELECT count(*) AS n FROM messages')

    // A cursor in the middle of the busy conversation: the 500th newest message.
    const { rows: [middle] } = await client.query<{ at: string, id: string }>(`SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || 'Z' AS at, id
      FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC OFFSET 499 LIMIT 1`, [busy])
    const explain = async (sql: string, params: unknown[]): Promise<{ plan: string, ms: number }> => {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) ${sql}`, params)
      const plan = rows.map(r => r['QUERY PLAN']).join('\n')
      return { plan, ms: Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? NaN) }
    }
    const first = await explain(RECENT_FIRST_SQL, [busy, PAGE + 1])
    const deep = await explain(RECENT_AFTER_SQL, [busy, PAGE + 1, middle?.at, middle?.id])
    const tiedDeep = await explain(RECENT_AFTER_SQL, [tied?.id, PAGE + 1, ...await (async () => {
      const { rows: [row] } = await client.query<{ at: string, id: string }>(`SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || 'Z' AS at, id
        FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC OFFSET 499 LIMIT 1`, [tied?.id])
      return [row?.at, row?.id]
    })()])
    for (const [name, { plan }] of [['first page', first], ['page after the 500th message', deep], ['tied timestamps, page after the 500th', tiedDeep]] as const) {
      console.log(`\n-- ${name} (${n} messages)\n${plan}`)
      if (!/Index Scan Backward using idx_messages_conversation/.test(plan) || /Seq Scan|Bitmap Heap Scan/.test(plan)) {
        throw new Error(`${name}: the plan is not an index scan on idx_messages_conversation`)
      }
    }

    // Page the tied conversation at limit=1 through the same SQL as Message.recent.
    const seen = new Set<string>()
    let cursor: { at: string, id: string } | undefined
    for (;;) {
      const { rows } = cursor === undefined
        ? await client.query(RECENT_FIRST_SQL, [tied?.id, 2])
        : await client.query(RECENT_AFTER_SQL, [tied?.id, 2, cursor.at, cursor.id])
      const row = rows[0] as { id: string, cursorAt: string } | undefined
      if (row === undefined) break
      if (seen.has(row.id)) throw new Error(`message ${row.id} returned twice`)
      seen.add(row.id)
      if (rows.length < 2) break
      cursor = { at: `${row.cursorAt}Z`, id: row.id }
      encodeCursor({ createdAt: cursor.at, id: cursor.id }) // the cursor a client would get
    }
    if (seen.size !== 1000) throw new Error(`paging the tied conversation returned ${seen.size} of 1000 messages`)
    console.log(`\n-- tied conversation at limit=1: ${seen.size} of 1000 messages, each once`)

    return [
      { section: 'paging', name: `first page of ${PAGE} (${n} messages): execution`, value: first.ms, unit: 'ms', target: 'Index Scan Backward', met: true },
      { section: 'paging', name: `page after the 500th message: execution`, value: deep.ms, unit: 'ms', target: 'Index Scan Backward', met: true },
      { section: 'paging', name: 'tied timestamps, page after the 500th: execution', value: tiedDeep.ms, unit: 'ms', target: 'Index Scan Backward', met: true },
      { section: 'paging', name: 'tied conversation paged at limit=1', value: seen.size, unit: 'of 1000 messages', target: 'each once', met: true }
    ]
  } finally {
    await client.end()
  }
}
