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
    created_at: { type: 'string', format: 'date-time' }
  }
} as const
const schema = { response: { 200: { type: 'array', items: messageSchema } } }

const PG_SQL = `SELECT id, conversation_id AS "conversationId", role, content, citations, domains,
  feedback_score AS "feedbackScore", input_tokens AS "inputTokens", output_tokens AS "outputTokens",
  cost_usd AS "costUsd", created_at FROM messages WHERE conversation_id = $1 ORDER BY created_at DESC LIMIT 50`

/** The variants of "last 50 messages of a conversation", each a route on one server. */
export const VARIANTS = {
  'raw pg': '/pg/',
  'Message.recent (lean)': '/recent/',
  'findAll raw: true': '/raw/',
  'findAll (model instances)': '/models/'
} as const

/** A server with one route per variant. */
export async function buildBenchServer (url: string, options: { engine?: string } = {}): Promise<{ app: FastifyInstance, pool: pg.Pool }> {
  const app = Fastify()
  await app.register(dbPlugin, { connectionString: options.engine ?? url, pool: { max: 10 } })
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  const { Message } = app.db.models
  const attributes = ['id', 'conversationId', 'role', 'content', 'citations', 'domains', 'feedbackScore', 'inputTokens', 'outputTokens', 'costUsd', 'created_at']
  const query = { attributes, order: [['created_at', 'DESC']] as Array<[string, string]>, limit: 50 }
  type Params = { Params: { id: string } }
  app.get<Params>('/pg/:id', { schema }, async (request) => (await pool.query(PG_SQL, [request.params.id])).rows)
  app.get<Params>('/recent/:id', { schema }, async (request) => await Message.recent(request.params.id))
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

/**
 * Each variant: latency from sequential requests, throughput from autocannon (10 connections),
 * interleaved over `rounds` so drift on the machine hits all variants alike.
 */
export async function benchRequests (url: string, options: { rounds?: number, duration?: number, section?: string, engine?: string, variants?: Array<keyof typeof VARIANTS> } = {}): Promise<Figure[]> {
  const rounds = options.rounds ?? 3
  const duration = options.duration ?? 4
  const section = options.section ?? 'requests'
  const variants = options.variants ?? (Object.keys(VARIANTS) as Array<keyof typeof VARIANTS>)
  const { app } = await buildBenchServer(url, { engine: options.engine })
  const address = app.server.address() as { port: number }
  const [conversation] = await conversationIds(url, 1)
  const results = new Map<string, Array<{ p50: number, p99: number, rps: number }>>()
  try {
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        const target = `http://127.0.0.1:${address.port}${VARIANTS[variant]}${conversation}`
        const latencies = await sequentialLatencies(target, 1_000)
        const result = await autocannon({ url: target, connections: 10, duration })
        if (result.errors > 0 || result.non2xx > 0) throw new Error(`${variant}: ${result.errors} errors, ${result.non2xx} non-2xx responses`)
        results.set(variant, [...(results.get(variant) ?? []), { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), rps: result.requests.average }])
      }
    }
  } finally {
    await app.close()
  }
  const summary = (variant: string): { p50: number, p99: number, rps: number } => {
    const runs = results.get(variant) ?? []
    return { p50: median(runs.map(r => r.p50)), p99: median(runs.map(r => r.p99)), rps: median(runs.map(r => r.rps)) }
  }
  const base = summary(variants[0] as string)
  return variants.slice(1).flatMap(variant => {
    const s = summary(variant)
    const baseline = variants[0] as string
    return [
      { section, name: `${variant}: p50`, value: s.p50, unit: 'ms', baseline: { name: baseline, value: base.p50 }, ratio: s.p50 / base.p50, ...(variant === 'Message.recent (lean)' ? { target: '≤ 1.10', met: s.p50 / base.p50 <= 1.10 } : {}) },
      { section, name: `${variant}: p99`, value: s.p99, unit: 'ms', baseline: { name: baseline, value: base.p99 }, ratio: s.p99 / base.p99 },
      { section, name: `${variant}: throughput`, value: s.rps, unit: 'req/s', baseline: { name: baseline, value: base.rps }, ratio: s.rps / base.rps }
    ]
  })
}
