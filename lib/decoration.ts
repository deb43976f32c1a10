import type { Sequelize } from 'sequelize-typescript'
import type { Models } from '../models/index.js'
import type { Migrator } from './migrator/migrator.js'
import type { DatabaseHealth, HealthCheckOptions } from './health.js'

/** What the plugin decorates Fastify with: `fastify.db`. */
export interface CoachDb {
  /** The Sequelize instance (repository mode). */
  readonly sequelize: Sequelize
  /** The models bound to this instance. Use these rather than the imported classes. */
  readonly models: Models
  /** Runs and inspects migrations on this connection. */
  readonly migrator: Migrator
  /**
   * Checks the database within a timeout: a real round trip and its latency, the pending
   * migrations, the `vector` extension's version and the pool's figures. Never throws.
   */
  readonly health: (options?: HealthCheckOptions) => Promise<DatabaseHealth>
}
