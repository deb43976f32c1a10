import { fileTest } from '../helpers/file-test.js'
import { iamCredentials } from '../../lib/credentials/iam.js'
import { OptionsError } from '../../lib/index.js'
import { registrationError } from '../helpers/app.js'
import { amzDate, expectedSignature as signatureFor, verifyIamToken } from '../helpers/iam-front.js'
import { resolveOptions } from '../../lib/options.js'

const t = fileTest()

// The token is checked the way RDS checks it: recompute the SigV4 presigned signature for the
// fixed test credentials at the token's own X-Amz-Date (test/credentials/iam-front.test.ts logs in
// with it through a PostgreSQL-protocol front that checks it the same way).
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const target = { host: 'coach.c9akciq32.eu-west-1.rds.amazonaws.com', port: 5432, database: 'coach', user: 'app', ssl: true, sslVerify: 'verify-full' as const }

async function expectedSignature (token: string): Promise<string> {
  const signingDate = amzDate(new URL(`https://${token}`).searchParams.get('X-Amz-Date') as string)
  return await signatureFor({ endpoint: { hostname: target.host, port: target.port }, region: 'eu-west-1', keys: credentials }, target.user, signingDate)
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

t.test('iamAuth: { hostname, port } signs for that endpoint while the socket goes elsewhere', async t => {
  const provider = iamCredentials({ target: { ...target, host: 'localhost', port: 15432, sslVerify: 'verify-full' }, signFor: { hostname: target.host, port: 5432 }, region: 'eu-west-1', credentials })
  const token = (await provider.current()).password as string
  t.match(token, /^coach\.c9akciq32\.eu-west-1\.rds\.amazonaws\.com:5432\/\?/)
  t.equal(await verifyIamToken(token, 'app', { endpoint: { hostname: target.host, port: 5432 }, region: 'eu-west-1', keys: credentials, now: () => Date.now() }), undefined, 'a front for that endpoint accepts it')
  t.match(await verifyIamToken(token, 'app', { endpoint: { hostname: 'localhost', port: 15432 }, region: 'eu-west-1', keys: credentials, now: () => Date.now() }), /signed for/, 'a front for the socket\'s host refuses it')
  t.match(await verifyIamToken(token, 'other', { endpoint: { hostname: target.host, port: 5432 }, region: 'eu-west-1', keys: credentials, now: () => Date.now() }), /DBUser/)
  t.same(resolveOptions({ connectionString: 'postgres://u@localhost/db', iamAuth: { hostname: 'h.rds.amazonaws.com', port: 5432 } }).iamAuth, { hostname: 'h.rds.amazonaws.com', port: 5432 })
  t.same(resolveOptions({ connectionString: 'postgres://u@localhost/db', iamAuth: true }).iamAuth, {})
  t.equal(resolveOptions({ connectionString: 'postgres://u@localhost/db' }, {}).iamAuth, false)
  t.throws(() => resolveOptions({ connectionString: 'postgres://u@localhost/db', iamAuth: { host: 'x' } as never }), /iamAuth\.host/)
  t.throws(() => resolveOptions({ connectionString: 'postgres://u@localhost/db', iamAuth: 'yes' as never }), /iamAuth/)
})
