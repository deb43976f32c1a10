import type { Sequelize } from 'sequelize-typescript'
import { createSequelize } from './create-sequelize.js'
import { parseConnectionString } from '../credentials/target.js'
import { silentLogger } from '../logger.js'

/**
 * Runs `fn` with a short-lived, silent, one-connection Sequelize on `url` and always closes it:
 * what set-up code (migrating a template, filling a test database) needs, without a plugin.
 */
export async function withSequelize<T> (url: string, fn: (sequelize: Sequelize) => Promise<T>): Promise<T> {
  const { target, password } = parseConnectionString(url, 'database URL')
  const sequelize = createSequelize({ target, password, pool: { max: 1, min: 0, acquire: 30_000, idle: 1_000 }, log: silentLogger() })
  try {
    return await fn(sequelize)
  } finally {
    await sequelize.close()
  }
}
