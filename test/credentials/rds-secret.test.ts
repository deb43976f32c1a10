import { fileTest } from '../helpers/file-test.js'
import { parseRdsSecret } from '../../lib/credentials/rds-secret.js'

const t = fileTest()

// How the secret's optional "sslmode" maps to TLS: on and unverified by default (RDS requires
// TLS), off with "disable", certificate checked with "verify-ca" / "verify-full".
const secret = (extra: Record<string, unknown>): { SecretString: string } => ({
  SecretString: JSON.stringify({ engine: 'postgres', host: 'db.example', port: 5432, username: 'app', password: 'pw', dbname: 'coach', ...extra })
})

t.test('sslmode in the secret', async t => {
  t.match(parseRdsSecret(secret({}), 's'), { ssl: true, sslVerify: undefined }, 'TLS without verification by default')
  t.match(parseRdsSecret(secret({ sslmode: 'disable' }), 's'), { ssl: false, sslVerify: undefined })
  t.match(parseRdsSecret(secret({ sslmode: 'verify-full' }), 's'), { ssl: true, sslVerify: 'verify-full' })
  t.match(parseRdsSecret(secret({ sslmode: 'VERIFY-CA' }), 's'), { ssl: true, sslVerify: 'verify-ca' })
})
