import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { OptionsError, SecretError } from '../errors.js'
import { parseRdsSecret, type RdsSecret } from './rds-secret.js'

/** Where the secret lives. */
export interface SecretLocation {
  /** Secret name or full ARN. */
  secretId: string
  /** AWS region; when absent, the region in an ARN, then the SDK's own chain (`AWS_REGION`, profile). */
  region?: string
  /** Endpoint URL (VPC endpoint, tests); when absent the SDK also honours `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  endpoint?: string
  /** Attempts per read including the SDK's retries (default: the SDK's, 3, or env `AWS_MAX_ATTEMPTS`). */
  maxAttempts?: number
}

/**
 * Bounds of one secret read. The SDK has none by default: a Secrets Manager endpoint that accepts
 * the request and never answers would hold every new connection (and start-up) for good.
 */
export const SECRET_READ_BOUNDS = {
  /** TCP (and TLS) connect to the endpoint, per attempt. */
  connectionTimeoutMs: 1_000,
  /** Waiting for the answer, per attempt. */
  requestTimeoutMs: 2_000,
  /** Attempts per read, retries included (env `AWS_MAX_ATTEMPTS` or the `maxAttempts` knob win). */
  maxAttempts: 3,
  /** The whole read, all attempts and backoff included. */
  totalMs: 8_000
} as const

/** Reads one secret with the AWS SDK. */
export interface SecretReader {
  /**
   * The secret's version with staging label `stage` (default `AWSCURRENT`), parsed and checked.
   * Settles within {@link SECRET_READ_BOUNDS}.totalMs, or sooner when `signal` aborts.
   */
  read: (stage?: string, signal?: AbortSignal) => Promise<RdsSecret>
  /** Closes the SDK client's sockets. */
  close: () => void
}

/**
 * A reader backed by the real `SecretsManagerClient`: the standard AWS credential chain, SigV4
 * signing and the SDK's retries with backoff (throttling included) all come from the SDK.
 */
export function createSecretReader (location: SecretLocation): SecretReader {
  const { secretId } = location
  const region = location.region ?? regionFromArn(secretId)
  if (location.endpoint !== undefined) checkEndpoint(location.endpoint)
  const envAttempts = Number(process.env.AWS_MAX_ATTEMPTS)
  const attempts = location.maxAttempts ?? (Number.isInteger(envAttempts) && envAttempts > 0 ? envAttempts : SECRET_READ_BOUNDS.maxAttempts)
  // The SDK (about 135 ms of imports) is loaded on the first read: an app that never names a
  // secret never loads it.
  let client: SecretsManagerClient | undefined
  let sdk: Promise<typeof import('@aws-sdk/client-secrets-manager')> | undefined
  let closed = false
  async function connect (): Promise<{ client: SecretsManagerClient, GetSecretValueCommand: typeof import('@aws-sdk/client-secrets-manager').GetSecretValueCommand }> {
    sdk ??= import('@aws-sdk/client-secrets-manager')
    const { SecretsManagerClient, GetSecretValueCommand } = await sdk
    client ??= new SecretsManagerClient({
      ...(region !== undefined ? { region } : {}),
      ...(location.endpoint !== undefined ? { endpoint: location.endpoint } : {}),
      maxAttempts: attempts,
      // Without throwOnRequestTimeout the SDK only logs a request that outlives requestTimeout.
      requestHandler: { connectionTimeout: SECRET_READ_BOUNDS.connectionTimeoutMs, requestTimeout: SECRET_READ_BOUNDS.requestTimeoutMs, throwOnRequestTimeout: true }
    })
    if (closed) client.destroy()
    return { client, GetSecretValueCommand }
  }
  return {
    read: async (stage, signal) => {
      const bound = AbortSignal.timeout(SECRET_READ_BOUNDS.totalMs)
      let output
      try {
        const { client, GetSecretValueCommand } = await connect()
        output = await client.send(new GetSecretValueCommand({ SecretId: secretId, ...(stage !== undefined ? { VersionStage: stage } : {}) }), { abortSignal: signal !== undefined ? AbortSignal.any([bound, signal]) : bound })
      } catch (err) {
        throw secretFetchError(err, secretId, stage, attempts)
      }
      return parseRdsSecret(output, secretId)
    },
    close: () => {
      closed = true
      client?.destroy()
    }
  }
}

/** The region inside `arn:aws:secretsmanager:<region>:<account>:secret:<name>`, if `id` is one. */
export function regionFromArn (id: string): string | undefined {
  const parts = id.split(':')
  return parts[0] === 'arn' && parts[2] === 'secretsmanager' && parts[3] !== undefined && parts[3] !== '' ? parts[3] : undefined
}

function checkEndpoint (endpoint: string): void {
  let url: URL | undefined
  try { url = new URL(endpoint) } catch {}
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new OptionsError('Option "endpoint" must be an http(s) URL, e.g. https://secretsmanager.eu-west-1.amazonaws.com.')
  }
}

/**
 * One error per failure a user can act on. The SDK's error (name, AWS message, request id) is
 * the `cause`; AWS error messages do not carry secret values. `attempts` is what the client was
 * given (the `maxAttempts` knob, `AWS_MAX_ATTEMPTS` or the default), so a timeout says what it tried.
 */
export function secretFetchError (err: unknown, secretId: string, stage = 'AWSCURRENT', attempts: number): SecretError {
  const name = (err as { name?: string })?.name
  const message = err instanceof Error ? err.message : String(err)
  switch (name) {
    case 'ResourceNotFoundException':
      return new SecretError('ERR_COACH_DB_SECRET_NOT_FOUND', secretId, `AWS Secrets Manager has no secret "${secretId}" (version ${stage}) in this region. Check the name or ARN, and the region (option "region" or AWS_REGION).`, { cause: err })
    case 'AccessDeniedException':
      return new SecretError('ERR_COACH_DB_SECRET_ACCESS_DENIED', secretId, `Access to secret "${secretId}" was denied. Grant this service's AWS role secretsmanager:GetSecretValue on the secret (and kms:Decrypt if it uses a customer-managed KMS key).`, { cause: err })
    case 'ThrottlingException':
    case 'TooManyRequestsException':
      return new SecretError('ERR_COACH_DB_SECRET_THROTTLED', secretId, `AWS Secrets Manager kept throttling reads of secret "${secretId}" after the SDK's retries. Something else in the account is calling GetSecretValue too often; raise "secretTtlMs" or find the caller.`, { cause: err })
    case 'DecryptionFailure':
      return new SecretError('ERR_COACH_DB_SECRET_ACCESS_DENIED', secretId, `Secret "${secretId}" could not be decrypted with its KMS key. Grant this service's AWS role kms:Decrypt on that key.`, { cause: err })
  }
  if (name === 'TimeoutError' || name === 'AbortError' || (err as { code?: string })?.code === 'ETIMEDOUT') {
    return new SecretError('ERR_COACH_DB_SECRET_TIMEOUT', secretId, `AWS Secrets Manager did not answer a read of secret "${secretId}" in time (${attempts} ${attempts === 1 ? 'attempt' : 'attempts'} of ${SECRET_READ_BOUNDS.requestTimeoutMs} ms, ${SECRET_READ_BOUNDS.totalMs} ms in all). Check the endpoint (option "endpoint" or AWS_ENDPOINT_URL_SECRETS_MANAGER, VPC endpoint, security groups) and retry.`, { cause: err })
  }
  if (/region is missing/i.test(message)) {
    return new SecretError('ERR_COACH_DB_SECRET_REGION', secretId, `No AWS region for secret "${secretId}". Pass the plugin option "region", set AWS_REGION, or use the secret's full ARN.`, { cause: err })
  }
  return new SecretError('ERR_COACH_DB_SECRET_FETCH', secretId, `Could not read secret "${secretId}" from AWS Secrets Manager: ${name ?? 'Error'}: ${message}`, { cause: err })
}
