import { inspect } from 'node:util'

/** The user name and password one new connection logs in with. */
export interface LoginCredentials {
  readonly username: string
  readonly password: string | undefined
}

/**
 * Where every new connection gets its login from: a fixed user and password, a rotating AWS
 * Secrets Manager secret, later IAM tokens. The connection module asks it once per new connection
 * and, when PostgreSQL refuses the password (28P01), asks it to recover once.
 */
export interface CredentialProvider {
  /** What it is, for log lines: `static`, `secret`, … Never a value. */
  readonly description: string
  /** The login for the next new connection. Must settle within a bound (it delays a connection). */
  current: () => Promise<LoginCredentials>
  /**
   * PostgreSQL refused `failedPassword` (28P01). Resolves `true` when a different login is now
   * current, i.e. one more attempt is worth it; a fixed login resolves `false`.
   */
  recover: (failedPassword: string | undefined) => Promise<boolean>
  /** Releases what it holds (SDK clients). Safe to call twice. */
  close: () => void
}

/** A fixed user and password (a connection string, a test database). */
export function staticCredentials (username: string, password: string | undefined): CredentialProvider {
  const login: LoginCredentials = Object.defineProperty({ username, password: undefined as string | undefined }, 'password', { value: password, enumerable: false })
  const describe = (): string => `CredentialProvider { static: ${username} }`
  return {
    description: 'static',
    current: async () => login,
    recover: async () => false,
    close: () => {},
    toString: describe,
    toJSON: describe,
    [inspect.custom]: describe
  } as CredentialProvider
}
