import { expect, test } from 'tstyche'
import {
  CoachDbError,
  ConnectionError,
  EmbeddedEngineError,
  ERROR_CODES,
  FixtureError,
  MigrationError,
  OptionsError,
  PoolExhaustedError,
  QueryTimeoutError,
  SecretError,
  StartupTimeoutError,
  type CoachDbErrorCode,
  type ErrorCodeOf
} from '../lib/index.js'

declare const err: unknown

test('err.code is the union of the registry', () => {
  expect<CoachDbErrorCode>().type.toBe<keyof typeof ERROR_CODES>()
  expect<'ERR_COACH_DB_AUTH'>().type.toBeAssignableTo<CoachDbErrorCode>()
  expect<'ERR_COACH_DB_AUTHH'>().type.not.toBeAssignableTo<CoachDbErrorCode>()
  if (err instanceof CoachDbError) {
    expect(err.code).type.toBe<CoachDbErrorCode>()
    // A misspelt code does not compile: the comparison has no overlap with the union.
    expect(err.code === 'ERR_COACH_DB_CONECTION').type.toRaiseError(2367)
    expect(err.code === 'ERR_COACH_DB_CONNECTION').type.not.toRaiseError()
  }
})

test('narrowing on a code', () => {
  if (err instanceof CoachDbError && err.code === 'ERR_COACH_DB_SECRET_FIELD') {
    expect(err.code).type.toBe<'ERR_COACH_DB_SECRET_FIELD'>()
  }
  if (err instanceof CoachDbError) {
    switch (err.code) {
      case 'ERR_COACH_DB_AUTH':
      case 'ERR_COACH_DB_NO_DATABASE':
        expect(err.code).type.toBe<'ERR_COACH_DB_AUTH' | 'ERR_COACH_DB_NO_DATABASE'>()
        break
      default:
        expect(err.code).type.not.toBe<CoachDbErrorCode>()
    }
  }
})

test('each class carries its own codes', () => {
  expect<OptionsError['code']>().type.toBe<'ERR_COACH_DB_OPTIONS'>()
  expect<QueryTimeoutError['code']>().type.toBe<'ERR_COACH_DB_QUERY_TIMEOUT'>()
  expect<PoolExhaustedError['code']>().type.toBe<'ERR_COACH_DB_POOL_EXHAUSTED'>()
  expect<StartupTimeoutError['code']>().type.toBe<'ERR_COACH_DB_STARTUP_TIMEOUT'>()
  expect<ConnectionError['code']>().type.toBe<'ERR_COACH_DB_CONNECTION' | 'ERR_COACH_DB_TLS' | 'ERR_COACH_DB_AUTH' | 'ERR_COACH_DB_NO_DATABASE' | 'ERR_COACH_DB_QUERY_TIMEOUT' | 'ERR_COACH_DB_POOL_EXHAUSTED'>()
  expect<SecretError['code']>().type.toBe<ErrorCodeOf<'SecretError'>>()
  expect<'ERR_COACH_DB_SECRET_REGION'>().type.toBeAssignableTo<SecretError['code']>()
  expect<'ERR_COACH_DB_MIGRATION_LOCKED'>().type.toBeAssignableTo<MigrationError['code']>()
  expect<'ERR_COACH_DB_EMBEDDED_IN_USE'>().type.toBeAssignableTo<EmbeddedEngineError['code']>()
  expect<'ERR_COACH_DB_NOT_MIGRATED'>().type.toBeAssignableTo<FixtureError['code']>()
  expect<'ERR_COACH_DB_OPTIONS'>().type.not.toBeAssignableTo<SecretError['code']>()
})

test('a class refuses a code that is not its own', () => {
  expect(new SecretError('ERR_COACH_DB_SECRET_NOT_FOUND', 'db', 'gone')).type.not.toRaiseError()
  expect(new SecretError('ERR_COACH_DB_MIGRATION', 'db', 'no')).type.toRaiseError()
  expect(new ConnectionError('no', { code: 'ERR_COACH_DB_TLS' })).type.not.toRaiseError()
  expect(new ConnectionError('no', { code: 'ERR_COACH_DB_OPTIONS' })).type.toRaiseError()
  expect(new MigrationError('m', 'no', { code: 'ERR_COACH_DB_MIGRATION_EDITED' })).type.not.toRaiseError()
  expect(new MigrationError('m', 'no', { code: 'ERR_COACH_DB_MIGRATON_EDITED' })).type.toRaiseError()
  expect(new EmbeddedEngineError('ERR_COACH_DB_SECRET_FETCH', 'no')).type.toRaiseError()
  expect(new FixtureError('ERR_COACH_DB_FIXTURES_USAGE', 'no')).type.not.toRaiseError()
  expect(new CoachDbError('ERR_COACH_DB_TYPO', 'no')).type.toRaiseError()
})
