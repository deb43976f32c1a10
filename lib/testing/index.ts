/**
 * `fastify-coach-db/testing`: what an app's integration tests need. A migrated database per test
 * file (`createTestDatabase`), the fixture set by label (`loadFixtures`, `fixtures`), and a
 * per-test rollback (`isolateEachTest`, `beginTestTransaction`). See docs/testing.md.
 */
export { createTestDatabase, databaseUrl, testAdminUrl, DEFAULT_TEST_ADMIN_URL, type TestDatabase, type CreateTestDatabaseOptions } from './database.js'
export { beginTestTransaction, type TestTransaction, type BeginTestTransactionOptions } from './isolation/test-transaction.js'
export { isolateEachTest, type EachTestHooks } from './isolation/each-test.js'
export {
  loadFixtures,
  fixtures,
  fixtureId,
  fixtureTime,
  FIXTURE_EPOCH,
  FIXTURE_NAMESPACE,
  FIXTURE_TABLES,
  FixtureError,
  FIXTURE_ERROR_CODES,
  tableCounts,
  type Fixtures,
  type PartialFixtures,
  type FixtureRowTypes,
  type FixtureSelection,
  type FixtureTable,
  type FixtureTarget,
  type LoadFixturesOptions,
  type TimeOffset
} from '../fixtures/index.js'
export { coachFixtures, type FixtureLabels, type UserLabel, type SessionLabel, type ConversationLabel, type MessageLabel } from '../../fixtures/index.js'
export { testEngine, createEmbeddedTestDatabase } from './embedded-database.js'
export { createFactories, UserFactory, SessionFactory, ConversationFactory, MessageFactory, type Factories, type UserBuild, type SessionBuild, type ConversationBuild, type MessageBuild } from './factories.js'
