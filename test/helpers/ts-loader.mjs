// The TypeScript loader of the test processes (package.json `tap.node-arg`): tsx (esbuild, a few
// ms per file) instead of tap's ts-node plugin (the TypeScript compiler in every test process).
//
// tsx leaves `sourcesContent: [null]` in its inline source maps unless NODE_V8_COVERAGE is set,
// and tap's coverage report then reads every .ts file as empty: 100 % everywhere. The hook below
// drops that empty field, so the report reads the sources from disk and maps V8's ranges to them.
// (Setting NODE_V8_COVERAGE instead works too, but makes Node write a second, 2 MB coverage file
// for every process.)
import 'tsx'
import { register } from 'node:module'

register('./ts-loader-source-maps.mjs', import.meta.url)
