import { inspect } from 'node:util'
import { fileTest } from '../helpers/file-test.js'
import { OptionsError, SecretError } from '../../lib/index.js'
import type { CoachDbOptions } from '../../lib/index.js'
import { FakeSecretsManager, useDummyAwsEnv } from '../helpers/fake-secrets-manager.js'
import { captureLogs } from '../helpers/log-capture.js'
import { registrationError } from '../helpers/app.js'

const t = fileTest()

// Every way reading the secret can fail, through the plugin, the real SDK and real HTTP.
useDummyAwsEnv()
process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config'
process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials'
delete process.env.DATABASE_URL
delete process.env.DB_SECRET_NAME
delete process.env.DB_SECRET_ARN
delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER

const fake = await FakeSecretsManager.start()
t.teardown(() => fake.close())

const PASSWORD = 'pw-NEVER-PRINT-4f1c9a'
const GOOD = { engine: 'postgres', host: '127.0.0.1', port: 5432, username: 'app', password: PASSWORD, dbname: 'coach' }

async function registerError (options: CoachDbOptions, logs = captureLogs('debug')): Promise<Error> {
  return await registrationError({ connectRetry: false, ...options }, logs.logger)
}

/** Everything a user could see of an error: message, inspect with the whole cause chain, JSON. */
function everything (err: Error): string {
  return `${String(err)}\n${inspect(err, { depth: 10 })}\n${JSON.stringify(err)}`
}

const cases: Array<[name: string, value: Parameters<FakeSecretsManager['set']>[1] | undefined, code: string, message: RegExp]> = [
  ['not found', undefined, 'ERR_COACH_DB_SECRET_NOT_FOUND', /has no secret "case-not-found" \(version AWSCURRENT\) in this region/],
  ['access denied', { error: 'AccessDeniedException', message: 'User: arn:aws:sts::123456789012:assumed-role/app is not authorized to perform: secretsmanager:GetSecretValue' }, 'ERR_COACH_DB_SECRET_ACCESS_DENIED', /Grant this service's AWS role secretsmanager:GetSecretValue/],
  ['KMS decryption failure', { error: 'DecryptionFailure', message: 'Access to KMS is not allowed' }, 'ERR_COACH_DB_SECRET_ACCESS_DENIED', /kms:Decrypt/],
  ['SecretBinary', { binary: Buffer.from(JSON.stringify(GOOD)) }, 'ERR_COACH_DB_SECRET_BINARY', /holds SecretBinary; store the credentials as a JSON SecretString/],
  ['not JSON', `password=${PASSWORD}`, 'ERR_COACH_DB_SECRET_NOT_JSON', /is not JSON/],
  ['JSON but not an object', JSON.stringify([PASSWORD]), 'ERR_COACH_DB_SECRET_NOT_JSON', /is JSON but not an object \(got an array\)/],
  ['missing password', { ...GOOD, password: undefined }, 'ERR_COACH_DB_SECRET_FIELD', /has no "password" field/],
  ['missing host', { ...GOOD, host: undefined }, 'ERR_COACH_DB_SECRET_FIELD', /has no "host" field/],
  ['missing dbname', { ...GOOD, dbname: undefined }, 'ERR_COACH_DB_SECRET_FIELD', /has no "dbname" field/],
  ['username of the wrong type', { ...GOOD, username: 42 }, 'ERR_COACH_DB_SECRET_FIELD', /Field "username" of secret "case-username-of-the-wrong-type" must be a non-empty string \(got a number\)/],
  ['password of the wrong type', { ...GOOD, password: [PASSWORD] }, 'ERR_COACH_DB_SECRET_FIELD', /Field "password" .* must be a non-empty string \(got an array\)/],
  ['port not a number', { ...GOOD, port: PASSWORD }, 'ERR_COACH_DB_SECRET_FIELD', /Field "port" .* must be a port number \(1-65535\) \(got a string\)/],
  ['MySQL engine', { ...GOOD, engine: 'mysql' }, 'ERR_COACH_DB_SECRET_ENGINE', /is for engine "mysql", not PostgreSQL/],
  ['engine of the wrong type', { ...GOOD, engine: 5 }, 'ERR_COACH_DB_SECRET_FIELD', /Field "engine"/]
]

for (const [name, value, code, message] of cases) {
  t.test(name, async t => {
    const secretId = `case-${name.replace(/\W+/g, '-').toLowerCase()}`
    if (value !== undefined) fake.set(secretId, value)
    const logs = captureLogs('debug')
    const err = await registerError({ secretId, endpoint: fake.url }, logs)
    t.type(err, SecretError)
    t.equal((err as SecretError).code, code)
    t.equal((err as SecretError).secretId, secretId)
    t.match(err.message, message)
    t.notMatch(everything(err), PASSWORD, 'the secret value appears nowhere in the error')
    t.notMatch(logs.text(), PASSWORD, 'nor in the log')
    t.equal(fake.count(secretId), 1, 'one request: only throttling is retried')
  })
}

t.test('every request is a signed GetSecretValue call', async t => {
  const signed = fake.requests.filter(r => r.secretId.startsWith('case-'))
  t.ok(signed.length >= cases.length)
  for (const request of signed) {
    t.equal(request.target, 'secretsmanager.GetSecretValue')
    t.match(request.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDFAKEFAKEFAKE\/\d{8}\/us-east-1\/secretsmanager\/aws4_request, SignedHeaders=.*x-amz-target.*, Signature=[0-9a-f]{64}$/)
  }
})

t.test('throttled after the SDK retries', async t => {
  process.env.AWS_MAX_ATTEMPTS = '2'
  t.teardown(() => { delete process.env.AWS_MAX_ATTEMPTS })
  fake.set('throttled', { error: 'ThrottlingException', message: 'Rate exceeded' })
  const err = await registerError({ secretId: 'throttled', endpoint: fake.url })
  t.type(err, SecretError)
  t.equal((err as SecretError).code, 'ERR_COACH_DB_SECRET_THROTTLED')
  t.match(err.message, /kept throttling reads of secret "throttled" after the SDK's retries/)
  t.equal(fake.count('throttled'), 2, 'the SDK retried before giving up')
  t.equal(((err.cause as { $metadata?: { attempts?: number } }).$metadata)?.attempts, 2)
})

t.test('no AWS region', async t => {
  const saved = process.env.AWS_REGION
  delete process.env.AWS_REGION
  t.teardown(() => { process.env.AWS_REGION = saved })
  const before = fake.requests.length
  const err = await registerError({ secretId: 'coach/db', endpoint: fake.url })
  t.type(err, SecretError)
  t.equal((err as SecretError).code, 'ERR_COACH_DB_SECRET_REGION')
  t.match(err.message, /No AWS region for secret "coach\/db"\. Pass the plugin option "region", set AWS_REGION, or use the secret's full ARN/)
  t.equal(fake.requests.length, before, 'nothing was sent')
})

t.test('the region of an ARN is used when none is configured', async t => {
  const saved = process.env.AWS_REGION
  delete process.env.AWS_REGION
  t.teardown(() => { process.env.AWS_REGION = saved })
  const arn = 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:coach/db-AbCdEf'
  const err = await registerError({ secretId: arn, endpoint: fake.url })
  t.equal((err as SecretError).code, 'ERR_COACH_DB_SECRET_NOT_FOUND', 'the request was made (and the fake has no such secret)')
  t.match(fake.requests.at(-1)?.authorization, /\/eu-west-3\/secretsmanager\//, 'signed for the ARN\'s region')
})

t.test('an unreachable endpoint is a fetch error naming the secret', async t => {
  process.env.AWS_MAX_ATTEMPTS = '1'
  t.teardown(() => { delete process.env.AWS_MAX_ATTEMPTS })
  const err = await registerError({ secretId: 'coach/db', endpoint: 'http://127.0.0.1:1' })
  t.type(err, SecretError)
  t.equal((err as SecretError).code, 'ERR_COACH_DB_SECRET_FETCH')
  t.match(err.message, /Could not read secret "coach\/db" from AWS Secrets Manager: .*ECONNREFUSED/)
})

t.test('an endpoint that is not a URL is an option error', async t => {
  const err = await registerError({ secretId: 'coach/db', endpoint: 'secretsmanager' })
  t.type(err, OptionsError)
  t.match(err.message, /Option "endpoint" must be an http\(s\) URL/)
})
