import { inspect } from 'node:util'
import { type Test } from 'tap'
import { fileTest } from '../helpers/file-test.js'
import Fastify from 'fastify'
import dbPlugin from '../../lib/index.js'
import type { CoachDbOptions } from '../../lib/index.js'
import { resolveOptions } from '../../lib/options.js'
import { FakeSecretsManager, useDummyAwsEnv } from '../helpers/fake-secrets-manager.js'
import { freshDatabase, serverOf } from '../helpers/app.js'
import { captureLogs } from '../helpers/log-capture.js'

const t = fileTest()

// Where credentials come from, in the documented order: connectionString option, secretId option,
// DB_SECRET_NAME (or DB_SECRET_ARN) with AWS_REGION, DATABASE_URL.
useDummyAwsEnv()
for (const name of ['DATABASE_URL', 'DB_SECRET_NAME', 'DB_SECRET_ARN', 'AWS_ENDPOINT_URL_SECRETS_MANAGER']) delete process.env[name]

t.test('resolveOptions picks one source in order', async t => {
  const url = 'postgres://app:opt-pw@db.internal:5432/coach'
  const envUrl = 'postgres://app:env-pw@db.internal:5432/coach'
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coach/db-AbCdEf'
  const pick = (opts: CoachDbOptions, env: NodeJS.ProcessEnv): unknown => {
    const r = resolveOptions(opts, env)
    return { connectionString: r.connectionString, origin: r.connectionString !== undefined ? r.connectionStringOrigin : r.secretIdOrigin, secretId: r.secretId }
  }
  const allEnv = { DATABASE_URL: envUrl, DB_SECRET_NAME: 'env/name', DB_SECRET_ARN: arn }
  t.same(pick({ connectionString: url, secretId: 'opt/secret' }, allEnv), { connectionString: url, origin: 'connectionString option', secretId: undefined }, 'the connectionString option wins over everything')
  t.same(pick({ secretId: 'opt/secret' }, allEnv), { connectionString: undefined, origin: 'secretId option', secretId: 'opt/secret' }, 'then the secretId option')
  t.same(pick({}, allEnv), { connectionString: undefined, origin: 'DB_SECRET_NAME', secretId: 'env/name' }, 'then DB_SECRET_NAME, even with DATABASE_URL set')
  t.same(pick({}, { DATABASE_URL: envUrl, DB_SECRET_ARN: arn }), { connectionString: undefined, origin: 'DB_SECRET_ARN', secretId: arn }, 'or DB_SECRET_ARN')
  t.same(pick({}, { DATABASE_URL: envUrl }), { connectionString: envUrl, origin: 'DATABASE_URL', secretId: undefined }, 'DATABASE_URL last')
  t.same(pick({}, { DATABASE_URL: envUrl, DB_SECRET_NAME: '  ' }), { connectionString: envUrl, origin: 'DATABASE_URL', secretId: undefined }, 'a blank variable counts as unset')

  const regions = resolveOptions({ secretId: 'x' }, { AWS_REGION: 'eu-central-1', AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:4566' })
  t.same([regions.region, regions.endpoint], ['eu-central-1', 'http://127.0.0.1:4566'], 'AWS_REGION and AWS_ENDPOINT_URL_SECRETS_MANAGER fill in')
  const explicit = resolveOptions({ secretId: 'x', region: 'us-west-2', endpoint: 'https://vpce.example' }, { AWS_REGION: 'eu-central-1', AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:4566' })
  t.same([explicit.region, explicit.endpoint], ['us-west-2', 'https://vpce.example'], 'options win over them')
})

const db = await freshDatabase(t)
const fake = await FakeSecretsManager.start()
t.teardown(() => fake.close())
const PASSWORD = 'src-pw-keep-out-of-logs-27d4'
fake.set('coach/env', { engine: 'aurora-postgresql', ...serverOf(db.url), port: String(serverOf(db.url).port), username: 'postgres', password: PASSWORD, sslmode: 'disable' })

async function start (t: Test, options: CoachDbOptions): Promise<{ text: string, app: ReturnType<typeof Fastify> }> {
  const logs = captureLogs('debug')
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(dbPlugin, options)
  await app.ready()
  await app.db.sequelize.query('SELECT 1')
  return { text: logs.text(), app }
}

t.test('DB_SECRET_NAME with AWS_ENDPOINT_URL_SECRETS_MANAGER wins over DATABASE_URL, and the log says so without the secret', async t => {
  process.env.DB_SECRET_NAME = 'coach/env'
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = fake.url
  process.env.DATABASE_URL = 'postgres://nobody:url-pw@127.0.0.1:1/nowhere'
  t.teardown(() => { for (const name of ['DB_SECRET_NAME', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'DATABASE_URL']) delete process.env[name] })
  const before = fake.count('coach/env')
  const { text, app } = await start(t, {})
  t.equal(fake.count('coach/env'), before + 1, 'the secret was read through the endpoint from the environment')
  t.match(text, /reading database credentials from AWS Secrets Manager secret \\"coach\/env\\" \(DB_SECRET_NAME\)/)
  const { host, port, dbname } = serverOf(db.url)
  t.ok(text.includes(`connected to postgres@${host}:${port}/${dbname} (credentials from DB_SECRET_NAME)`), 'the log names the target and the source')
  const info = text.split('\n').filter(line => line.includes('"level":30'))
  t.ok(info.some(line => line.includes('"source":"DB_SECRET_NAME"')), 'the source is a field of the info line')
  for (const shown of [text, inspect(app.db, { depth: 10 }), JSON.stringify(app.db), String(app.db)]) {
    t.notMatch(shown, PASSWORD)
    t.notMatch(shown, 'url-pw')
  }
})

t.test('the connectionString option wins over a secretId option: the secret is not even read', async t => {
  const before = fake.requests.length
  const { text } = await start(t, { connectionString: db.url, secretId: 'coach/env', endpoint: fake.url })
  t.equal(fake.requests.length, before)
  t.match(text, /credentials from connectionString option/)
})

t.test('DB_SECRET_ARN, with the region taken from the ARN', async t => {
  const arn = 'arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:coach/env'
  fake.set(arn, { engine: 'postgres', ...serverOf(db.url), username: 'postgres', password: PASSWORD, sslmode: 'disable' })
  process.env.DB_SECRET_ARN = arn
  const savedRegion = process.env.AWS_REGION
  delete process.env.AWS_REGION
  t.teardown(() => { delete process.env.DB_SECRET_ARN; process.env.AWS_REGION = savedRegion })
  const { text } = await start(t, { endpoint: fake.url })
  t.match(text, /credentials from DB_SECRET_ARN/)
  t.match(fake.requests.at(-1)?.authorization, /\/ap-southeast-2\/secretsmanager\/aws4_request/)
})
