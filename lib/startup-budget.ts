import { StartupTimeoutError } from './errors.js'
import type { Logger } from './logger.js'
import { FASTIFY_PLUGIN_TIMEOUT_MS } from './defaults.js'
import { deadline, type Deadline } from './deadline.js'

/** What start-up is doing, named in the error when the budget runs out. */
export type StartupStep = 'reading the secret' | 'connecting to the database' | 'waiting for the migration lock' | 'running migrations' | 'starting'

/**
 * Time the plugin's start-up may take inside Fastify's `pluginTimeout`: the timeout minus a
 * margin (10 %, at least 500 ms) so that our error, which names what to change, comes first.
 * `undefined` when Fastify's timeout is off (0).
 */
export function startupBudgetMs (pluginTimeout: number | undefined): number | undefined {
  const timeout = pluginTimeout ?? FASTIFY_PLUGIN_TIMEOUT_MS
  if (timeout <= 0) return undefined
  return Math.max(1, timeout - Math.max(500, Math.round(timeout * 0.1)))
}

/**
 * Runs start-up within the budget. When it runs out, `signal` aborts (the secret read and the
 * connection retries stop) and a {@link StartupTimeoutError} naming the step and the options to
 * change is thrown; whatever the work opened is closed by `cleanup` once it settles.
 */
export async function withinStartupBudget<T> (
  pluginTimeout: number | undefined,
  work: (signal: AbortSignal, step: (name: StartupStep) => void) => Promise<T>,
  cleanup: (result: T) => Promise<void>
): Promise<T> {
  const budget = startupBudgetMs(pluginTimeout)
  const controller = new AbortController()
  let current: StartupStep = 'starting'
  const running = work(controller.signal, (name) => { current = name })
  if (budget === undefined) return await running
  let timer: Deadline | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = deadline(budget, () => {
      controller.abort()
      reject(startupTimeout(current, pluginTimeout ?? FASTIFY_PLUGIN_TIMEOUT_MS, budget))
    })
  })
  try {
    return await Promise.race([running, expired])
  } catch (err) {
    if (err instanceof StartupTimeoutError) {
      // Late results are closed so nothing stays open in a process whose start-up failed.
      running.then(cleanup, () => {}).catch(() => {})
    }
    throw err
  } finally {
    timer?.cancel()
  }
}

const RAISE = 'or raise Fastify\'s pluginTimeout (Fastify({ pluginTimeout: 30000 }))'

function startupTimeout (step: StartupStep, pluginTimeout: number, budget: number): StartupTimeoutError {
  const head = `fastify-coach-db could not start within ${budget} ms, the part of Fastify's pluginTimeout (${pluginTimeout} ms) it allows itself: still ${step}.`
  switch (step) {
    case 'reading the secret':
      return new StartupTimeoutError(step, `${head} AWS Secrets Manager is answering too slowly; check the endpoint (option "endpoint", AWS_ENDPOINT_URL_SECRETS_MANAGER), ${RAISE}.`)
    case 'connecting to the database':
      return new StartupTimeoutError(step, `${head} The database accepts no connection or does not answer; check that it is up and reachable, lower "connectRetry" / "connectTimeoutMs" to fail sooner, ${RAISE}.`)
    case 'waiting for the migration lock':
      return new StartupTimeoutError(step, `${head} Another process holds the migration lock. Run migrations as a release step (coach-db up) and start replicas with migrationLock: 'skip' (or migrate: false), ${RAISE} above "lockTimeout".`)
    case 'running migrations':
      return new StartupTimeoutError(step, `${head} A migration that runs longer than that cannot finish at start-up (each restart would kill it): run "coach-db up" as a release step before starting the app, ${RAISE}.`)
    default:
      return new StartupTimeoutError(step, `${head} ${RAISE[0]?.toUpperCase()}${RAISE.slice(1)}.`)
  }
}

/**
 * A logger that also tells start-up when the migration lock is being waited for (the lock says
 * so in its log line), so a timeout names the right step.
 */
export function stepWatchingLogger (log: Logger, step: (name: StartupStep) => void): Logger {
  return {
    debug: log.debug.bind(log),
    warn: log.warn.bind(log),
    error: log.error.bind(log),
    info: ((...args: unknown[]) => {
      const msg = args.find(a => typeof a === 'string')
      if (typeof msg === 'string' && msg.startsWith('waiting for the migration lock')) step('waiting for the migration lock')
      if (typeof msg === 'string' && msg.startsWith('migration lock acquired')) step('running migrations')
      ;(log.info as (...a: unknown[]) => void)(...args)
    }) as Logger['info'],
    ...(log.isLevelEnabled !== undefined ? { isLevelEnabled: log.isLevelEnabled.bind(log) } : {}),
    ...(log.level !== undefined ? { level: log.level } : {})
  }
}
