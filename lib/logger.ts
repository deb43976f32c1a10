import type { FastifyBaseLogger } from 'fastify'

/** The subset of a pino/Fastify logger this package writes to. */
export type Logger = Pick<FastifyBaseLogger, 'debug' | 'info' | 'warn' | 'error'> & { isLevelEnabled?: (level: string) => boolean, level?: string }

const silent: Logger = { debug () {}, info () {}, warn () {}, error () {} }

/** A logger that drops everything, for callers (CLI, tests) that do not pass one. */
export function silentLogger (): Logger {
  return silent
}

/**
 * Whether debug lines would be written. Sequelize builds a log string for every query when
 * `logging` is set, so query logging is only switched on when someone will read it.
 */
export function isDebugEnabled (log: Logger): boolean {
  if (typeof log.isLevelEnabled === 'function') return log.isLevelEnabled('debug')
  return log.level === 'debug' || log.level === 'trace'
}
