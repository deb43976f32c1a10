import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import autocannon from 'autocannon'
import dbPlugin from '../lib/index.js'
import { messageRoutes } from '../example/routes/messages.js'
import { registerErrorHandler } from '../example/http-errors.js'
import { idParams, messageBody, newMessage } from '../example/schemas.js'
import { conversationIds, generateDataset } from './dataset.js'
import { POST_MESSAGE_SQL } from '../models/post-message.js'
import { median, type Figure } from './stats.js'

// "Post a message": the example's POST /conversations/:id/messages (Message.post: lock the
// conversation, insert the message unless it is archived, touch the conversation's updated_at, in
// one statement) through the package, against a raw-pg route that sends the same statement with
// the same parameters on a plain pool. Requests are spread over 1,000 conversations, so the row
// locks rarely meet, as in production where each chat posts to its own conversation.

const CONVERSATIONS = 1_000
const BODY = JSON.stringify({ role: 'user', content: 'How do I introduce completing the square to ninth graders?', domains: ['math'], inputTokens: 38 })

interface Body { role: string, content: string, citations?: unknown, domains?: string[] | null, feedbackScore?: number | null, inputTokens?: number | null, outputTokens?: number | null }

/** One server, two routes: `/conversations/:id/messages` (the example's, models) and `/pg/:id/messages`. */
async function buildServer (url: string): Promise<{ app: FastifyInstance, port: number }> {
  const app = Fastify()
  await app.register(dbPlugin, { connectionString: url, pool: { max: 10 } })
  registerErrorHandler(app)
  await app.register(messageRoutes)
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  app.addHook('onClose', async () => { await pool.end() })
  // The same schemas as the example's route (params, body, response), so both pay the same
  // validation and serialisation and differ only in the data layer.
  app.post<{ Params: { id: string }, Body: Body }>('/pg/:id/messages', { schema: { params: idParams, body: newMessage, response: { 201: messageBody } } }, async (request, reply) => {
    const b = request.body
    const { rows: [row] } = await pool.query(POST_MESSAGE_SQL, [request.params.id, crypto.randomUUID(), b.role, b.content, b.citations == null ? null : JSON.stringify(b.citations), b.domains ?? null, b.feedbackScore ?? null, b.inputTokens ?? null, b.outputTokens ?? null, null, new Date()])
    if (row?.conversationStatus == null || row.id === null) throw new Error('conversation not found or archived')
    delete row.conversationStatus
    return await reply.status(201).send(row)
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, port: (app.server.address() as { port: number }).port }
}

interface Run { rps: number, p50: number, p99: number, cpuMsPerRequest: number }

async function throughput (port: number, prefix: string, ids: string[], length: { duration: number } | { amount: number }): Promise<Run> {
  let next = 0
  // CPU time of this process (server and load generator alike) per request: unlike req/s it does
  // not move with what the other tenants of a shared machine are doing.
  const cpu = process.cpuUsage()
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 10,
    ...length,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
      setupRequest: request => ({ ...request, path: `${prefix}/${ids[next++ % ids.length] as string}/messages` })
    }]
  })
  const used = process.cpuUsage(cpu)
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${prefix}: ${result.errors} errors, ${result.non2xx} non-2xx responses`)
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuMsPerRequest: (used.user + used.system) / 1000 / Math.max(1, result.requests.total) }
}

/**
 * Throughput of "post a message" (10 connections), the models route against raw pg, interleaved
 * over `rounds` so drift on the machine hits both alike. Uses its own conversations in `url`.
 */
export async function benchWrites (url: string, options: { rounds?: number, duration?: number, /** Requests per path before measuring. */ warmup?: number } = {}): Promise<Figure[]> {
  await generateDataset(url, { users: 100, conversations: CONVERSATIONS, messages: 0 })
  const ids = await conversationIds(url, CONVERSATIONS)
  const { app, port } = await buildServer(url)
  const runs = { models: [] as number[], pg: [] as number[], modelsP50: [] as number[], pgP50: [] as number[], modelsCpu: [] as number[], pgCpu: [] as number[] }
  try {
    // Warm both paths and the pools. Sequelize's path is long: after one second of it (about 100
    // requests on the loaded machine) the next round still cost twice the CPU per request of the
    // later ones (JIT), so the warm-up is a number of requests, not seconds.
    await throughput(port, '/pg', ids, { amount: options.warmup ?? 1_000 })
    await throughput(port, '/conversations', ids, { amount: options.warmup ?? 1_000 })
    for (let round = 0; round < (options.rounds ?? 3); round++) {
      const raw = await throughput(port, '/pg', ids, { duration: options.duration ?? 4 })
      const models = await throughput(port, '/conversations', ids, { duration: options.duration ?? 4 })
      runs.pg.push(raw.rps)
      runs.models.push(models.rps)
      runs.pgP50.push(raw.p50)
      runs.modelsP50.push(models.p50)
      runs.pgCpu.push(raw.cpuMsPerRequest)
      runs.modelsCpu.push(models.cpuMsPerRequest)
    }
  } finally {
    await app.close()
  }
  const rps = median(runs.models)
  const base = median(runs.pg)
  return [
    { section: 'writes', name: 'post a message (Message.post, example route): throughput', value: rps, unit: 'req/s', baseline: { name: 'raw pg, same statement', value: base }, ratio: rps / base, target: '≥ 0.80', met: rps / base >= 0.8 },
    { section: 'writes', name: 'post a message (Message.post, example route): p50 (10 connections)', value: median(runs.modelsP50), unit: 'ms', baseline: { name: 'raw pg, same statement', value: median(runs.pgP50) }, ratio: median(runs.modelsP50) / median(runs.pgP50) },
    { section: 'writes', name: 'post a message (Message.post, example route): CPU per request', value: median(runs.modelsCpu), unit: 'ms', baseline: { name: 'raw pg, same statement', value: median(runs.pgCpu) }, ratio: median(runs.modelsCpu) / median(runs.pgCpu) }
  ]
}
