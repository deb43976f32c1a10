import t from 'tap'
import { SignatureV4 } from '@smithy/signature-v4'
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'

// SHA-256 / HMAC-SHA-256 in the shape SignatureV4 asks for (what @smithy/hash-node does).
class Sha256 {
  #h: Hash | Hmac
  constructor (secret?: string | ArrayBuffer | ArrayBufferView) { this.#h = secret !== undefined ? createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer)) : createHash('sha256') }
  update (data: string | ArrayBuffer | ArrayBufferView): void { this.#h.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer)) }
  async digest (): Promise<Uint8Array> { return new Uint8Array(this.#h.digest()) }
}
import { iamCredentials } from '../../lib/credentials/iam.js'
import { OptionsError } from '../../lib/index.js'
import { registrationError } from '../helpers/app.js'

// The token is checked the way RDS checks it: recompute the SigV4 presigned signature for the
// fixed test credentials at the token's own X-Amz-Date. (Not yet: a PostgreSQL-protocol front
// that verifies it on connect; see the README's Production table.)
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const target = { host: 'coach.c9akciq32.eu-west-1.rds.amazonaws.com', port: 5432, database: 'coach', user: 'app', ssl: true, sslVerify: 'verify-full' as const }

async function expectedSignature (token: string): Promise<string> {
  const url = new URL(`https://${token}`)
  const amzDate = url.searchParams.get('X-Amz-Date') as string
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`)
  const signer = new SignatureV4({ service: 'rds-db', region: 'eu-west-1', credentials, sha256: Sha256 })
  const request = ({ method: 'GET', protocol: 'https:', hostname: target.host, port: target.port, path: '/', query: { Action: 'connect', DBUser: target.user }, headers: { host: `${target.host}:${target.port}` } })
  const presigned = await signer.presign(request, { expiresIn: 900, signingDate })
  return String((presigned.query as Record<string, string>)['X-Amz-Signature'])
}

t.test('each new connection gets a correctly signed IAM token', async t => {
  const provider = iamCredentials({ target, region: 'eu-west-1', credentials })
  const first = await provider.current()
  t.equal(first.username, 'app')
  const token = first.password as string
  t.match(token, /^coach\.c9akciq32\.eu-west-1\.rds\.amazonaws\.com:5432\/\?/)
  const url = new URL(`https://${token}`)
  t.equal(url.searchParams.get('Action'), 'connect')
  t.equal(url.searchParams.get('X-Amz-Expires'), '900', '15-minute lifetime')
  t.equal(url.searchParams.get('X-Amz-Signature'), await expectedSignature(token), 'SigV4 signature recomputed for the fixed credentials matches')
  t.notOk(Object.keys(first).includes('password'), 'the token is not enumerable')
  t.equal(await provider.recover(token), true, 'a refused token leads to one more attempt with a fresh token')
})

t.test('IAM authentication refuses to run without TLS', async t => {
  t.throws(() => iamCredentials({ target: { ...target, ssl: false, sslVerify: undefined as never }, region: 'eu-west-1', credentials }), OptionsError)
})

t.test('the iamAuth option refuses a connection without TLS, naming sslmode', async t => {
  const err = await registrationError({ connectionString: 'postgres://app@127.0.0.1:1/coach?sslmode=disable', iamAuth: true, connectRetry: false })
  t.type(err, OptionsError)
  t.match(err.message, /TLS is required/)
})
