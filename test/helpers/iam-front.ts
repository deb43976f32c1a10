import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'
import type { Duplex } from 'node:stream'
import { SignatureV4 } from '@smithy/signature-v4'

/** Something a test can tear down: tap's `t`, or nothing. */
type Teardown = { teardown: (fn: () => void | Promise<void>) => void } | undefined

/** AWS access keys as IAM knows them: what a front checks signatures with. */
export interface TestAwsKeys {
  accessKeyId: string
  secretAccessKey: string
}

/** What RDS checks a token against: its own endpoint and region, and the keys IAM holds. */
export interface IamCheck {
  /** The endpoint the token must be signed for (RDS: the instance's own host name and port). */
  endpoint: { hostname: string, port: number }
  region: string
  keys: TestAwsKeys
  /** The verifier's clock, ms since the epoch. */
  now: () => number
}

// SHA-256 / HMAC-SHA-256 in the shape SignatureV4 asks for (what @smithy/hash-node does).
class Sha256 {
  #h: Hash | Hmac
  constructor (secret?: string | ArrayBuffer | ArrayBufferView) { this.#h = secret !== undefined ? createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer)) : createHash('sha256') }
  update (data: string | ArrayBuffer | ArrayBufferView): void { this.#h.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer)) }
  async digest (): Promise<Uint8Array> { return new Uint8Array(this.#h.digest()) }
}

/** `20261203T064344Z` to a Date. */
export function amzDate (value: string): Date {
  return new Date(`${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}T${value.slice(9, 11)}:${value.slice(11, 13)}:${value.slice(13, 15)}Z`)
}

/**
 * The SigV4 presigned signature RDS expects for `user` at `signingDate`: recomputed from the
 * keys, independently of the token, for service `rds-db`, 900 seconds.
 */
export async function expectedSignature (check: Omit<IamCheck, 'now'>, user: string, signingDate: Date): Promise<string> {
  const { hostname, port } = check.endpoint
  const signer = new SignatureV4({ service: 'rds-db', region: check.region, credentials: check.keys, sha256: Sha256 })
  const request = { method: 'GET', protocol: 'https:', hostname, port, path: '/', query: { Action: 'connect', DBUser: user }, headers: { host: `${hostname}:${port}` } }
  const presigned = await signer.presign(request, { expiresIn: 900, signingDate })
  return String((presigned.query as Record<string, string>)['X-Amz-Signature'])
}

/**
 * Checks an IAM token the way RDS does on login: a presigned `connect` URL for this endpoint and
 * user, 900 seconds, signed by a known key for this region and `rds-db`, not dated in the future
 * and not older than 15 minutes, with a signature that recomputes. Returns why it is refused, or
 * `undefined` when it is good.
 */
export async function verifyIamToken (token: string, user: string, check: IamCheck): Promise<string | undefined> {
  let url: URL
  try {
    url = new URL(`https://${token}`)
  } catch {
    return 'not a presigned URL'
  }
  const q = url.searchParams
  const { hostname, port } = check.endpoint
  if (url.hostname !== hostname.toLowerCase() || url.port !== String(port) || url.pathname !== '/') return `signed for ${url.host}, not ${hostname}:${port}`
  if (q.get('Action') !== 'connect') return `Action is ${String(q.get('Action'))}, not connect`
  if (q.get('DBUser') !== user) return `DBUser ${String(q.get('DBUser'))} is not the user logging in (${user})`
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return 'not AWS4-HMAC-SHA256'
  if (q.get('X-Amz-Expires') !== '900') return `X-Amz-Expires is ${String(q.get('X-Amz-Expires'))}, not 900`
  if (q.get('X-Amz-SignedHeaders') !== 'host') return 'the host header is not signed'
  const date = q.get('X-Amz-Date') ?? ''
  if (!/^\d{8}T\d{6}Z$/.test(date)) return 'no X-Amz-Date'
  const [accessKeyId, day, region, service, terminator] = (q.get('X-Amz-Credential') ?? '').split('/')
  if (accessKeyId !== check.keys.accessKeyId) return `unknown access key ${String(accessKeyId)}`
  if (day !== date.slice(0, 8) || region !== check.region || service !== 'rds-db' || terminator !== 'aws4_request') return `credential scope ${day}/${region}/${service} is not ${date.slice(0, 8)}/${check.region}/rds-db`
  const signedAt = amzDate(date).getTime()
  const now = check.now()
  if (signedAt > now) return `signed in the future (${date})`
  if (now - signedAt > 900_000) return `expired: signed at ${date}, more than 15 minutes ago`
  if (q.get('X-Amz-Signature') !== await expectedSignature(check, user, new Date(signedAt))) return 'the signature does not match'
  return undefined
}

/** One login the front saw. */
export interface SeenToken {
  user: string
  token: string
  accepted: boolean
  /** Why it was refused. */
  reason?: string
  /** The token's X-Amz-Date and the front's clock when it arrived, ms since the epoch. */
  signedAt: number
  receivedAt: number
}

export interface IamFrontOptions extends Omit<IamCheck, 'now'> {
  /** Server certificate and key for the TLS the client asks for (SSLRequest). */
  tls: { certPem: string, keyPem: string }
  /** The real PostgreSQL a login that passed is piped to. Default 127.0.0.1:5432 (trust). */
  backend?: { host: string, port: number }
  /** The front's own clock. Default `Date.now`. */
  now?: () => number
}

export interface IamFront {
  readonly host: '127.0.0.1'
  readonly port: number
  /** Every login, in order of arrival. */
  readonly seen: SeenToken[]
  close: () => Promise<void>
}

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const PROTOCOL_3 = 196608

/**
 * A PostgreSQL-protocol front on 127.0.0.1 that authenticates like RDS with IAM: TLS, then a
 * cleartext password that must be a valid IAM token for the startup user (checked by
 * {@link verifyIamToken}); a refused token gets 28P01, an accepted one is piped to the real server
 * (startup replayed; with trust, the server's AuthenticationOk is the one the client sees).
 */
export async function startIamFront (t: Teardown, options: IamFrontOptions): Promise<IamFront> {
  const backend = options.backend ?? { host: '127.0.0.1', port: 5432 }
  const check: IamCheck = { endpoint: options.endpoint, region: options.region, keys: options.keys, now: options.now ?? (() => Date.now()) }
  const seen: SeenToken[] = []
  const sockets = new Set<Duplex>()
  const track = (s: Duplex): void => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => { s.destroy() })
  }

  const session = async (raw: net.Socket): Promise<void> => {
    track(raw)
    let client: Duplex = raw
    let reader = messageReader(raw)
    let startup = await reader.startup()
    while (startup.code === SSL_REQUEST || startup.code === GSSENC_REQUEST) {
      if (startup.code === GSSENC_REQUEST) {
        raw.write('N')
        startup = await reader.startup()
        continue
      }
      reader.detach()
      raw.pause()
      raw.write('S')
      const secure = new tls.TLSSocket(raw, { isServer: true, cert: options.tls.certPem, key: options.tls.keyPem })
      track(secure)
      client = secure
      reader = messageReader(secure)
      startup = await reader.startup()
    }
    if (startup.code !== PROTOCOL_3) { client.destroy(); return }
    if (client === raw) return refuse(client, '28000', 'no pg_hba.conf entry: IAM authentication requires SSL')
    const user = startup.params.get('user') ?? ''
    client.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])) // AuthenticationCleartextPassword
    const reply = await reader.message()
    if (reply.type !== 'p') return refuse(client, '08P01', `expected a password message, got ${reply.type}`)
    const token = reply.body.subarray(0, reply.body.indexOf(0)).toString('utf8')
    const receivedAt = check.now()
    const reason = await verifyIamToken(token, user, check)
    const date = /X-Amz-Date=(\d{8}T\d{6}Z)/.exec(token)?.[1]
    seen.push({ user, token, accepted: reason === undefined, ...(reason !== undefined ? { reason } : {}), signedAt: date !== undefined ? amzDate(date).getTime() : Number.NaN, receivedAt })
    if (reason !== undefined) return refuse(client, '28P01', `PAM authentication failed for user "${user}" (IAM token refused: ${reason})`)

    const server = net.connect(backend.port, backend.host)
    track(server)
    server.write(startup.raw)
    const serverReader = messageReader(server)
    const first = await serverReader.message()
    if (first.type === 'R' && first.body.readInt32BE(0) !== 0) {
      server.destroy()
      return refuse(client, '28000', 'the server behind the IAM front asked for a password: it must trust the front')
    }
    client.write(first.raw)
    server.write(reader.detach())
    client.write(serverReader.detach())
    client.pipe(server)
    server.pipe(client)
  }

  const listener = net.createServer(raw => {
    session(raw).catch(() => { raw.destroy() })
  })
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject)
    listener.listen(0, '127.0.0.1', () => { resolve() })
  })
  const port = (listener.address() as net.AddressInfo).port
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    for (const s of sockets) s.destroy()
    await new Promise<void>(resolve => { listener.close(() => { resolve() }) })
  }
  t?.teardown(close)
  return { host: '127.0.0.1', port, seen, close }
}

function refuse (client: Duplex, code: string, message: string): void {
  const fields = Buffer.concat(['SFATAL', 'VFATAL', `C${code}`, `M${message}`].map(f => Buffer.from(`${f}\0`, 'utf8')).concat([Buffer.from([0])]))
  const head = Buffer.alloc(5)
  head.write('E', 0)
  head.writeInt32BE(fields.length + 4, 1)
  client.end(Buffer.concat([head, fields]))
}

interface Startup { code: number, params: Map<string, string>, raw: Buffer }
interface Message { type: string, body: Buffer, raw: Buffer }

// Reads whole protocol messages off a stream; `detach` hands back what was read past them.
function messageReader (stream: Duplex): { startup: () => Promise<Startup>, message: () => Promise<Message>, detach: () => Buffer } {
  let buffered = Buffer.alloc(0)
  let wake: (() => void) | undefined
  let ended = false
  const onData = (chunk: Buffer): void => { buffered = Buffer.concat([buffered, chunk]); wake?.() }
  const onEnd = (): void => { ended = true; wake?.() }
  stream.on('data', onData)
  stream.on('end', onEnd)
  stream.on('close', onEnd)
  const take = async (n: number): Promise<Buffer> => {
    while (buffered.length < n) {
      if (ended) throw new Error('the peer closed the connection')
      await new Promise<void>(resolve => { wake = resolve })
      wake = undefined
    }
    const out = buffered.subarray(0, n)
    buffered = buffered.subarray(n)
    return out
  }
  return {
    startup: async () => {
      const head = await take(4)
      const body = await take(head.readInt32BE(0) - 4)
      const code = body.readInt32BE(0)
      const params = new Map<string, string>()
      if (code === PROTOCOL_3) {
        const parts = body.subarray(4).toString('utf8').split('\0')
        for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) params.set(parts[i], parts[i + 1])
      }
      return { code, params, raw: Buffer.concat([head, body]) }
    },
    message: async () => {
      const head = await take(5)
      const body = await take(head.readInt32BE(1) - 4)
      return { type: head.toString('latin1', 0, 1), body, raw: Buffer.concat([head, body]) }
    },
    detach: () => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('close', onEnd)
      const rest = buffered
      buffered = Buffer.alloc(0)
      return rest
    }
  }
}

/**
 * Fixes the process's clock (`Date.now()`, `new Date()`) at `startMs` until `advance` moves it,
 * the way the AWS SDK reads it when it signs: timers keep running on real time. Restored at teardown.
 */
export function fixClock (t: Teardown, startMs: number): { now: () => number, advance: (ms: number) => void } {
  const RealDate = Date
  let now = startMs
  function FixedDate (this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new RealDate(now).toString()
    return Reflect.construct(RealDate, args.length === 0 ? [now] : args, new.target)
  }
  FixedDate.prototype = RealDate.prototype
  Object.setPrototypeOf(FixedDate, RealDate)
  ;(FixedDate as unknown as { now: () => number }).now = () => now
  globalThis.Date = FixedDate as unknown as DateConstructor
  t?.teardown(() => { globalThis.Date = RealDate })
  return { now: () => now, advance: (ms: number) => { now += ms } }
}
