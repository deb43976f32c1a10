import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** One GetSecretValue call as it arrived. */
export interface SecretRequest {
  target: string | undefined
  secretId: string
  versionStage: string | undefined
  authorization: string | undefined
}

/** What a secret answers with: a SecretString (objects are JSON-encoded), a SecretBinary, or an AWS error. */
export type FakeSecretValue = string | Record<string, unknown> | { binary: Buffer } | { error: string, message?: string }

/**
 * A loopback HTTP server speaking Secrets Manager's awsJson1_1 protocol for GetSecretValue, so the
 * real SDK (signing, retries, error parsing) runs against it. Secrets have staging labels like the
 * real service: `AWSCURRENT` and, during a rotation, `AWSPENDING`.
 */
export class FakeSecretsManager {
  /** Every request, in order. */
  readonly requests: SecretRequest[] = []
  /** Delay before each answer, in ms (to make concurrent callers overlap). */
  delayMs = 0
  /** While `true`, requests are accepted and read but never answered: a stalled endpoint. */
  stalled = false
  /** Requests answered (successfully or with an AWS error), in order. */
  answered = 0
  readonly #versions = new Map<string, Map<string, FakeSecretValue>>()
  readonly #server = http.createServer((req, res) => { this.#handle(req, res) })

  /** Starts listening on 127.0.0.1 and a free port. */
  static async start (): Promise<FakeSecretsManager> {
    const fake = new FakeSecretsManager()
    await new Promise<void>(resolve => fake.#server.listen(0, '127.0.0.1', resolve))
    return fake
  }

  /** `http://127.0.0.1:<port>`, for the `endpoint` option or `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  get url (): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  /** Sets the version of `secretId` that has staging label `stage`. */
  set (secretId: string, value: FakeSecretValue, stage = 'AWSCURRENT'): void {
    const versions = this.#versions.get(secretId) ?? new Map<string, FakeSecretValue>()
    versions.set(stage, value)
    this.#versions.set(secretId, versions)
  }

  /** The last step of an AWS rotation: the pending version becomes current. */
  promotePending (secretId: string): void {
    const versions = this.#versions.get(secretId)
    const pending = versions?.get('AWSPENDING')
    if (versions === undefined || pending === undefined) throw new Error(`no AWSPENDING version of ${secretId}`)
    versions.set('AWSCURRENT', pending)
    versions.delete('AWSPENDING')
  }

  /** Requests for `secretId` so far. */
  count (secretId: string): number {
    return this.requests.filter(r => r.secretId === secretId).length
  }

  async close (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>(resolve => this.#server.close(() => { resolve() }))
  }

  #handle (req: http.IncomingMessage, res: http.ServerResponse): void {
    let body = ''
    req.setEncoding('utf8').on('data', (chunk: string) => { body += chunk }).on('end', () => {
      const input = JSON.parse(body || '{}') as { SecretId?: string, VersionStage?: string }
      const target = req.headers['x-amz-target'] as string | undefined
      this.requests.push({ target, secretId: input.SecretId ?? '', versionStage: input.VersionStage, authorization: req.headers.authorization })
      const stage = input.VersionStage ?? 'AWSCURRENT'
      const value = this.#versions.get(input.SecretId ?? '')?.get(stage)
      if (this.stalled) return
      setTimeout(() => {
        this.answered++
        if (target !== 'secretsmanager.GetSecretValue') return send(res, 400, { __type: 'UnknownOperationException' })
        if (value === undefined) return send(res, 400, { __type: 'ResourceNotFoundException', message: `Secrets Manager can't find the specified secret value for staging label: ${stage}` })
        if (typeof value === 'object' && 'error' in value) return send(res, 400, { __type: value.error, message: value.message ?? value.error })
        const answer: Record<string, unknown> = { ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${input.SecretId}-AbCdEf`, Name: input.SecretId, VersionId: `v-${this.requests.length}`, VersionStages: [stage], CreatedDate: Date.now() / 1000 }
        if (typeof value === 'object' && 'binary' in value && Buffer.isBuffer(value.binary)) answer.SecretBinary = value.binary.toString('base64')
        else answer.SecretString = typeof value === 'string' ? value : JSON.stringify(value)
        send(res, 200, answer)
      }, this.delayMs)
    })
  }
}

function send (res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body))
}

/** Dummy AWS credentials and region in the environment, so the SDK's default chain finds them without touching the network. */
export function useDummyAwsEnv (region = 'us-east-1'): void {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDFAKEFAKEFAKE'
  process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret-access-key'
  process.env.AWS_REGION = region
  process.env.AWS_EC2_METADATA_DISABLED = 'true'
  delete process.env.AWS_PROFILE
}
