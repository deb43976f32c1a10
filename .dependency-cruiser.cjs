// Import rules of fastify-coach-db, checked by `npm run lint:imports` (part of `npm test`).
// The layers and why they exist: docs/architecture.md. Type-only imports count: a type that
// reaches up a layer is coupling all the same, and it is how the old circles began.

/** Paths as dependency-cruiser sees them (relative to the repository root). */
const FOUNDATION = '^lib/(errors|error-codes|logger)\\.ts$'
const PLUGIN = '^lib/(plugin|index)\\.ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import circles make load order matter and layers meaningless. The models reference each other on purpose (associations), so a circle made only of models/ files is allowed.',
      from: {},
      to: { circular: true, via: { pathNot: '^models/' } }
    },
    {
      name: 'options-is-the-bottom-layer',
      severity: 'error',
      comment: 'Data flows options → credentials → connection → migrator → plugin: lib/options.ts imports no later layer.',
      from: { path: '^lib/options\\.ts$' },
      to: { path: ['^lib/(credentials|connection|migrator)/', PLUGIN] }
    },
    {
      name: 'option-types-import-nothing',
      severity: 'error',
      comment: 'lib/types.ts (the options and their sub-objects) is imported by every layer, so it imports nothing from lib/ or models/: that is what keeps the layers free of circles.',
      from: { path: '^lib/types\\.ts$' },
      to: { path: '^(lib|models)/' }
    },
    {
      name: 'credentials-below-connection',
      severity: 'error',
      comment: 'Credentials are resolved before any connection exists: lib/credentials/ imports neither connection/, migrator/ nor the plugin.',
      from: { path: '^lib/credentials/' },
      to: { path: ['^lib/(connection|migrator)/', PLUGIN] }
    },
    {
      name: 'connection-below-migrator',
      severity: 'error',
      comment: 'Connecting knows nothing of migrations, of the embedded engine or of Fastify: lib/connection/ imports no migrator/, engine/ or plugin. Starting the engine for a pglite:// URL is lib/open-database.ts\'s job; the connection gets only its stream.',
      from: { path: '^lib/connection/' },
      to: { path: ['^lib/(migrator|engine)/', PLUGIN] }
    },
    {
      name: 'migrator-below-plugin',
      severity: 'error',
      comment: 'The migrator is used by the plugin and the CLI; it does not import them.',
      from: { path: '^lib/migrator/' },
      to: { path: [PLUGIN, '^lib/cli/'] }
    },
    {
      name: 'plugin-is-the-top',
      severity: 'error',
      comment: 'Only the root entry point imports the plugin.',
      from: { path: '^lib/', pathNot: '^lib/index\\.ts$' },
      to: { path: '^lib/plugin\\.ts$' }
    },
    {
      name: 'production-code-imports-no-test-side',
      severity: 'error',
      comment: 'What an app loads never pulls in the test helpers, the CLI, tests, benches or the example.',
      from: { path: '^(lib|models)/', pathNot: '^lib/(testing|cli)/' },
      to: { path: ['^lib/(testing|cli)/', '^(test|bench|example)/'] }
    },
    {
      name: 'testing-and-cli-stay-apart',
      severity: 'error',
      comment: 'fastify-coach-db/testing and the coach-db CLI are separate entry points: neither imports the other.',
      from: { path: '^lib/(testing|cli)/' },
      to: { path: '^lib/(testing|cli)/', pathNot: '^lib/$1/' }
    },
    {
      name: 'testing-and-cli-import-no-tests',
      severity: 'error',
      comment: 'lib/testing/ and lib/cli/ ship in the package: they never import tests, benches or the example.',
      from: { path: '^lib/(testing|cli)/' },
      to: { path: '^(test|bench|example)/' }
    },
    {
      name: 'models-import-only-errors',
      severity: 'error',
      comment: 'models/ is the schema contract in code: from lib/ it may import only the error classes (the foundation every layer uses).',
      from: { path: '^models/' },
      to: { path: '^lib/', pathNot: FOUNDATION }
    },
    {
      name: 'engine-knows-no-migrator',
      severity: 'error',
      comment: 'The embedded engine is a database, not a test harness: it imports no migrator, fixtures, testing, credentials or plugin. Test databases built on it live in lib/testing/.',
      from: { path: '^lib/engine/' },
      to: { path: ['^lib/(migrator|fixtures|testing|credentials|drift|cli)/', PLUGIN] }
    },
    {
      name: 'fixture-data-imports-no-lib',
      severity: 'error',
      comment: 'fixtures/ is data (the named rows, their types and their clock); lib/fixtures/ loads it. One direction: the data imports nothing from lib/ (the models, for the column types, are fine).',
      from: { path: '^fixtures/' },
      to: { path: '^lib/' }
    },
    {
      name: 'example-uses-public-entry-points',
      severity: 'error',
      comment: 'The example is the reference app a user copies: it imports the package only through its entry points (fastify-coach-db = lib/index.ts, fastify-coach-db/testing = lib/testing/index.ts).',
      from: { path: '^example/' },
      to: { path: '^(lib|models)/', pathNot: '^lib/(testing/)?index\\.ts$' }
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A production module nothing imports is dead code (or a forgotten export).',
      from: { orphan: true, path: '^(lib|models)/', pathNot: '\\.d\\.ts$' },
      to: {}
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve fails at run time.',
      from: {},
      to: { couldNotResolve: true }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings']
    },
    reporterOptions: {
      text: { highlightFocused: true }
    }
  }
}
