import { inspect } from 'node:util'
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types'
import { CoachDbError, ConnectionError, OptionsError } from '../errors.js'
import type { ConnectionTarget } from './target.js'
import type { CredentialProvider, LoginCredentials } from './provider.js'

/** Settings of {@link iamCredentials}. */
export interface IamCredentialsOptions {
  target: ConnectionTarget
  /** AWS region of the database. Default: the SDK's chain (`AWS_REGION`, profile). */
  region?: string
  /** AWS credentials. Default: the SDK's standard chain (env, profile, SSO, container, instance role). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider
  /**
   * The endpoint the token is signed for, when the socket reaches RDS under another name (a
   * tunnel on localhost). Default: `target`'s host and port.
   */
  signFor?: { hostname?: string, port?: number }
}

/**
 * RDS IAM database authentication: a fresh token from `@aws-sdk/rds-signer` (valid 15 minutes)
 * for each new connection, through the same seam as rotating passwords. The token is a password
 * sent in clear text inside the session, so TLS is required.
 */
export function iamCredentials (options: IamCredentialsOptions): CredentialProvider {
  const { target } = options
  if (!target.ssl) {
    throw new OptionsError(`IAM authentication sends its token as the password: TLS is required, but ${target.host} is configured with sslmode=disable. Remove sslmode=disable (RDS endpoints default to verify-full).`)
  }
  const endpoint = { hostname: options.signFor?.hostname ?? target.host, port: options.signFor?.port ?? target.port }
  let signer: { getAuthToken: () => Promise<string> } | undefined
  const getSigner = async (): Promise<{ getAuthToken: () => Promise<string> }> => {
    if (signer === undefined) {
      // Loaded on first use: apps without IAM auth never load the SDK.
      const { Signer } = await import('@aws-sdk/rds-signer')
      signer = new Signer({ hostname: endpoint.hostname, port: endpoint.port, username: target.user, ...(options.region !== undefined ? { region: options.region } : {}), ...(options.credentials !== undefined ? { credentials: options.credentials } : {}) })
    }
    return signer
  }
  const describe = (): string => `CredentialProvider { iam: ${target.user}@${endpoint.hostname}:${endpoint.port} }`
  return {
    description: 'IAM token',
    current: async (): Promise<LoginCredentials> => {
      const token = await (await getSigner()).getAuthToken()
      return Object.defineProperty({ username: target.user, password: undefined as string | undefined }, 'password', { value: token, enumerable: false })
    },
    // Every connection gets a new token anyway: one more attempt signs a fresh one.
    recover: async () => true,
    close: () => {},
    toString: describe,
    toJSON: describe,
    [inspect.custom]: describe
  } as CredentialProvider
}

/**
 * A refused login (ERR_COACH_DB_AUTH) under IAM authentication, told in IAM's terms: the generic
 * message points at a password that does not exist here. Other errors are returned as they are.
 */
export function explainIamRefusal (err: unknown, target: ConnectionTarget, signFor: { hostname?: string, port?: number }, region: string | undefined): unknown {
  if (!(err instanceof CoachDbError) || err.code !== 'ERR_COACH_DB_AUTH') return err
  const cause = (err as { cause?: { parent?: { message?: string } } }).cause
  const said = cause?.parent?.message
  const endpoint = `${signFor.hostname ?? target.host}:${signFor.port ?? target.port}`
  return new ConnectionError(`PostgreSQL at ${target.host}:${target.port} refused the IAM token for user "${target.user}" (28P01${said !== undefined ? `: ${said}` : ''}). Check that the AWS credentials of the standard chain may rds-db:connect as "${target.user}", that this user has the rds_iam role, and that the token's region (${region ?? 'from the AWS chain'}) and endpoint (${endpoint}) are the database's; behind a tunnel, set iamAuth: { hostname, port } to the RDS endpoint.`, { cause: err.cause, code: 'ERR_COACH_DB_AUTH' })
}
