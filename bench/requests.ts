import http from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import autocannon from 'autocannon'
import dbPlugin from '../lib/index.js'
import { conversationIds } from './dataset.js'
import { median, type Figure } from './stats.js'

// Every variant returns the same JSON through the same response schema, so only the data access differs.
const messageSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    conversationId: { type: 'string' },
    role: { type: 'string' },
    content: { type: 'string' },
    citations: { type: ['object', 'null'], additionalProperties: true },
    domains: { type: ['array', 'null'], items: { type: 'string' } },
    feedbackScore: { type: ['integer', 'null'] },
    inputTokens: { type: ['integer', 'null'] },
    outputTokens: { type: ['integer', 'null'] },
    costUsd: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' }
  }
} as const
const schema = { response: { 200: { type: 'array', items: messageSchema } } }

const PG_SQL = `SELECT id, conversation_id AS "conversationId", role, content, citations, domains,
  feedback_score AS "feedbackScore", input_tokens AS "inputTokens", output_tokens AS "outputTokens",
  cost_usd AS "costUsd", created_at AS "createdAt" FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50`

/** The variants of "last 50 messages of a conversation", each a route on one server. */
export const VARIANTS = {
  'raw pg': '/pg/',
  'Message.recent (lean)': '/recent/',
  'findAll raw: true': '/raw/',
  'findAll (model instances)': '/models/'
} as const

/** A server with one route per variant. */
export async function buildBenchServer (url: string): Promise<{ app: FastifyInstance, pool: pg.Pool }> {
  const app = Fastify()
  await app.register(dbPlugin, { connectionString: url, pool: { max: 10 } })
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  const { Message } = app.db.models
  const attributes = ['id', 'conversationId', 'role', 'content', 'citations', 'domains', 'feedbackScore', 'inputTokens', 'outputTokens', 'costUsd', 'createdAt']
  const query = { attributes, order: [['createdAt', 'DESC'], ['id', 'DESC']] as Array<[string, string]>, limit: 50 }
  type Params = { Params: { id: string } }
  app.get<Params>('/pg/:id', { schema }, async (request) => (await pool.query(PG_SQL, [request.params.id])).rows)
  app.get<Params>('/recent/:id', { schema }, async (request) => (await Message.recent(request.params.id)).messages)
  app.get<Params>('/raw/:id', { schema }, async (request) => await Message.findAll({ ...query, where: { conversationId: request.params.id }, raw: true }))
  app.get<Params>('/models/:id', { schema }, async (request) => await Message.findAll({ ...query, where: { conversationId: request.params.id } }))
  app.addHook('onClose', async () => { await pool.end() })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, pool }
}

/**
 * Latency of sequential keep-alive requests over loopback, timed to the microsecond (autocannon
 * reports whole milliseconds, too coarse for a 1.10 ratio on a 1 ms request).
 */
async function sequentialLatencies (url: string, requests: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const get = async (): Promise<void> => await new Promise((resolve, reject) => {
    http.get(url, { agent }, response => {
      response.resume()
      response.on('end', () => { response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode} from ${url}`)) })
    }).on('error', reject)
  })
  for (let i = 0; i < 50; i++) await get()
  const times: number[] = []
  for (let i = 0; i < requests; i++) {
    const started = performance.now()
    await get()
    times.push(performance.now() - started)
  }
  agent.destroy()
  return times
}

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number
}

/** Median latency (sequential requests) and throughput (10 connections) of one route. */
export interface RouteSummary { p50: number, p99: number, rps: number }

/**
 * Each variant: latency from sequential requests, throughput from autocannon (10 connections),
 * interleaved over `rounds` so drift on the machine hits all variants alike.
 */
export async function measureVariants (url: string, variants: ReadonlyArray<keyof typeof VARIANTS>, options: { rounds?: number, duration?: number } = {}): Promise<Map<string, RouteSummary>> {
  const { app } = await buildBenchServer(url)
  const address = app.server.address() as { port: number }
  const [conversation] = await conversationIds(url, 1)
  const runs = new Map<string, RouteSummary[]>()
  try {
    for (let round = 0; round < (options.rounds ?? 3); round++) {
      for (const variant of variants) {
        const target = `http://127.0.0.1:${address.port}${VARIANTS[variant]}${conversation}`
        const latencies = await sequentialLatencies(target, 1_000)
        const result = await autocannon({ url: target, connections: 10, duration: options.duration ?? 4 })
        if (result.errors > 0 || result.non2xx > 0) throw new Error(`${variant}: ${result.errors} errors, ${result.non2xx} non-2xx responses`)
        runs.set(variant, [...(runs.get(variant) ?? []), { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), rps: result.requests.average }])
      }
    }
  } finally {
    await app.close()
  }
  return new Map([...runs].map(([variant, list]) => [variant, {
    p50: median(list.map(r => r.p50)),
    p99: median(list.map(r => r.p99)),
    rps: median(list.map(r => r.rps))
  }]))
}

/** Figures for `summary` against `base`: p50 and p99 latency, and throughput, each with its ratio. */
export function routeFigures (section: string, name: string, summary: RouteSummary, baseName: string, base: RouteSummary, target?: { p50: number }): Figure[] {
  return [
    { section, name: `${name}: p50`, value: summary.p50, unit: 'ms', baseline: { name: baseName, value: base.p50 }, ratio: summary.p50 / base.p50, ...(target ? { target: `≤ ${target.p50.toFixed(2)}`, met: summary.p50 / base.p50 <= target.p50 } : {}) },
    { section, name: `${name}: p99`, value: summary.p99, unit: 'ms', baseline: { name: baseName, value: base.p99 }, ratio: summary.p99 / base.p99 },
    { section, name: `${name}: throughput`, value: summary.rps, unit: 'req/s', baseline: { name: baseName, value: base.rps }, ratio: summary.rps / base.rps }
  ]
}

/** "Last 50 messages" through each data-access variant, against raw pg in the same run. */
export async function benchRequests (url: string): Promise<Figure[]> {
  const variants = Object.keys(VARIANTS) as Array<keyof typeof VARIANTS>
  const summaries = await measureVariants(url, variants)
  const base = summaries.get('raw pg') as RouteSummary
  return variants.slice(1).flatMap(variant => routeFigures('requests', variant, summaries.get(variant) as RouteSummary, 'raw pg', base, variant === 'Message.recent (lean)' ? { p50: 1.10 } : undefined))
}
