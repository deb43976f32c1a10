import { parseConnectionString, type ConnectionTarget } from '../connection/target.js'
import type { ResolvedOptions } from '../options.js'
import type { Logger } from '../connection/logger.js'

/** Where the connection settings came from; logged at startup (never the values). */
export type CredentialSource = 'connectionString option' | 'DATABASE_URL' | 'secretId option' | 'DB_SECRET_NAME' | 'DB_SECRET_ARN'

/** Connection settings ready for Sequelize: a loggable target and a way to get the password. */
export interface ResolvedCredentials {
  source: CredentialSource
  target: ConnectionTarget
  /** A fixed password, or a function asked for each new connection (secrets rotate). */
  password: string | undefined | (() => Promise<string>)
}

/** Picks the connection source in the documented order and reads it. */
export async function resolveCredentials (options: ResolvedOptions, _log: Logger): Promise<ResolvedCredentials> {
  const connectionString = options.connectionString as string
  const { target, password } = parseConnectionString(connectionString, options.connectionStringOrigin)
  return { source: options.connectionStringOrigin, target, password }
}
