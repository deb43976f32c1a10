import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import type { Sequelize } from 'sequelize-typescript'
import { createSequelize } from '../../lib/connection/create-sequelize.js'
import { parseConnectionString } from '../../lib/credentials/target.js'
import { silentLogger } from '../../lib/logger.js'
import { DEFAULT_POOL } from '../../lib/options.js'

/** A folder of test-only migrations under test/migrations/. */
export function testMigrations (name: 'broken' | 'slow' | 'concurrent' | 'leaky'): string {
  return fileURLToPath(new URL(`../migrations/${name}/`, import.meta.url))
}

/** A Sequelize on `url` with our models, closed at teardown. */
export function sequelizeFor (t: Test, url: string): Sequelize {
  const { target } = parseConnectionString(url, 'test URL')
  const sequelize = createSequelize({ target, password: undefined, pool: DEFAULT_POOL, log: silentLogger() })
  t.teardown(() => sequelize.close())
  return sequelize
}
