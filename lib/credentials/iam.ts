import { inspect } from 'node:util'
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types'
import { OptionsError } from '../errors.js'
import type { ConnectionTarget } from './target.js'
import type { CredentialProvider, LoginCredentials } from './provider.js'

/** Settings of {@link iamCredentials}. */
export interface IamCredentialsOptions {
  target: ConnectionTarget
  /** AWS region of the database. Default: the SDK's chain (`AWS_REGION`, profile). */
  region?: string
  /** AWS credentials. Default: the SDK's standard chain (env, profile, SSO, container, instance role). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider
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
  let signer: { getAuthToken: () => Promise<string> } | undefined
  const getSigner = async (): Promise<{ getAuthToken: () => Promise<string> }> => {
    if (signer === undefined) {
      // Loaded on first use: apps without IAM auth never load the SDK.
      const { Signer } = await import('@aws-sdk/rds-signer')
      signer = new Signer({ hostname: target.host, port: target.port, username: target.user, ...(options.region !== undefined ? { region: options.region } : {}), ...(options.credentials !== undefined ? { credentials: options.credentials } : {}) })
    }
    return signer
  }
  const describe = (): string => `CredentialProvider { iam: ${target.user}@${target.host}:${target.port} }`
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
