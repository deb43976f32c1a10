import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { Transaction } from 'sequelize'
import type { Sequelize } from 'sequelize-typescript'
import { OptionsError } from './errors.js'
import { installTransactionNamespace, joinRequestTransactions, runInTransaction } from './transaction-scope.js'

/** PostgreSQL's isolation levels, as Sequelize names them. */
export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE' | 'READ UNCOMMITTED'

const ISOLATION_LEVELS: readonly IsolationLevel[] = ['READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE', 'READ UNCOMMITTED']

/** How a route's request transaction is opened (route option `config.transaction`). */
export interface RequestTransactionOptions {
  /** Isolation level of this route's transaction. Default: the server's (READ COMMITTED). */
  isolationLevel?: IsolationLevel
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * fastify-coach-db: run this route's handler in one database transaction. Every model call and
     * `sequelize.query` made while handling the request joins it without `{ transaction }`; it
     * commits when the reply has a status below 400 and rolls back on a thrown error or a 4xx/5xx.
     */
    transaction?: boolean | RequestTransactionOptions
  }
  interface FastifyRequest {
    /**
     * fastify-coach-db: the request's transaction on a route with `config.transaction`, else
     * `null`. Rarely needed (calls join it by themselves); use it for `afterCommit` or to pass it on
     * explicitly.
     */
    dbTransaction: Transaction | null
  }
}

interface State {
  transaction: Transaction
  failed: boolean
}

const state = Symbol('fastify-coach-db request transaction')
type WithState = FastifyRequest & { [state]?: State }

/**
 * Adds request transactions to the routes that ask for one (`config.transaction`), on routes
 * declared after the plugin. The hooks are added to those routes only: other routes pay nothing.
 */
export function registerRequestTransactions (fastify: FastifyInstance, sequelize: Sequelize): void {
  fastify.decorateRequest('dbTransaction', null)
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const wanted = route.config?.transaction
    if (wanted === undefined || wanted === false) return
    const options = resolveRouteTransaction(wanted, `${String(route.method)} ${route.url}`)
    installTransactionNamespace()
    joinRequestTransactions(sequelize)
    route.preHandler = [...asArray(route.preHandler), begin(sequelize, options)]
    route.onError = [...asArray(route.onError), markFailed]
    route.onSend = [...asArray(route.onSend), finishOnSend]
    // The reply never went through onSend (client gone, a hook threw before it): do not keep the
    // connection; what the handler wrote is not confirmed to anyone, so it is rolled back.
    route.onResponse = [...asArray(route.onResponse), rollbackLeftOpen]
    route.onRequestAbort = [...asArray(route.onRequestAbort), rollbackLeftOpen]
  })
}

function asArray<T> (value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

function resolveRouteTransaction (value: unknown, route: string): RequestTransactionOptions {
  if (value === true) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionsError(`Route ${route}: config.transaction must be true, false or { isolationLevel } (got a ${value === null ? 'null' : typeof value}).`)
  }
  const { isolationLevel, ...rest } = value as Record<string, unknown>
  const unknown = Object.keys(rest)
  if (unknown.length > 0) throw new OptionsError(`Route ${route}: unknown key "config.transaction.${unknown[0]}". Known: isolationLevel.`)
  if (isolationLevel !== undefined && !(ISOLATION_LEVELS as readonly unknown[]).includes(isolationLevel)) {
    throw new OptionsError(`Route ${route}: config.transaction.isolationLevel must be one of ${ISOLATION_LEVELS.map(l => `'${l}'`).join(', ')}.`)
  }
  return isolationLevel === undefined ? {} : { isolationLevel: isolationLevel as IsolationLevel }
}

// Opened after validation (preHandler), so a request refused with a 400 never takes a connection.
// A callback hook, not an async one: the rest of the request (handler, hooks) must run inside the
// async context opened here, which only a synchronous `done()` call from within it passes on.
function begin (sequelize: Sequelize, options: RequestTransactionOptions) {
  return function openRequestTransaction (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
    sequelize.transaction(options as Parameters<Sequelize['transaction']>[0]).then(transaction => {
      ;(request as WithState)[state] = { transaction, failed: false }
      request.dbTransaction = transaction
      runInTransaction(transaction, () => { done() })
    }, (err: Error) => { done(err) })
  }
}

async function markFailed (request: FastifyRequest): Promise<void> {
  const open = (request as WithState)[state]
  if (open !== undefined) open.failed = true
}

// Committed before the reply is written, so a 2xx is only ever sent for data that is really
// stored; a failing COMMIT (serialization failure, deferred constraint) becomes an error reply.
async function finishOnSend (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const open = (request as WithState)[state]
  if (open === undefined || isFinished(open.transaction)) return payload
  if (open.failed || reply.statusCode >= 400) {
    await open.transaction.rollback()
    return payload
  }
  await open.transaction.commit()
  return payload
}

async function rollbackLeftOpen (request: FastifyRequest): Promise<void> {
  const open = (request as WithState)[state]
  if (open === undefined || isFinished(open.transaction)) return
  try {
    await open.transaction.rollback()
  } catch (err) {
    request.log.warn({ err }, 'fastify-coach-db: rolling back a request transaction left open failed')
  }
}

function isFinished (transaction: Transaction): boolean {
  return (transaction as Transaction & { finished?: string }).finished !== undefined
}
