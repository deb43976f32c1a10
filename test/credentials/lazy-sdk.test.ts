import { fileTest } from '../helpers/file-test.js'
import { createRequire } from 'node:module'
import dbPlugin from '../../lib/index.js'
import { buildApp, freshDatabase, serverOf } from '../helpers/app.js'
import { FakeSecretsManager, useDummyAwsEnv } from '../helpers/fake-secrets-manager.js'

const t = fileTest()

// Issue 12: the AWS SDK is loaded only when a secret is used, so an app that connects with a
// URL never pays for it. The SDK is CommonJS, so what was loaded shows in require's cache.
useDummyAwsEnv()
const loadedSdk = (): string[] => Object.keys(createRequire(import.meta.url).cache).filter(path => path.includes('@aws-sdk/client-secrets-manager'))

t.ok(typeof dbPlugin === 'function')
t.same(loadedSdk(), [], 'importing the package does not load the AWS SDK')

const db = await freshDatabase(t)

t.test('a connection string never loads it; a secret does', async t => {
  const viaUrl = await buildApp(t, { connectionString: db.url })
  t.equal(await viaUrl.db.models.User.count(), 0)
  t.same(loadedSdk(), [], 'not after connecting with a URL')

  const fake = await FakeSecretsManager.start()
  t.teardown(() => fake.close())
  fake.set('coach/lazy', { engine: 'postgres', ...serverOf(db.url), username: 'postgres', password: 'lazy-pw', sslmode: 'disable' })
  const viaSecret = await buildApp(t, { secretId: 'coach/lazy', endpoint: fake.url })
  t.equal(await viaSecret.db.models.User.count(), 0)
  t.not(loadedSdk().length, 0, 'loaded once a secret is read')
})
