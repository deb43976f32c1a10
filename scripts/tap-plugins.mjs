// Rebuilds tap's Test class when it was not built with package.json's `tap.plugin` list (a fresh
// `npm ci` installs it built with the default plugins, @tapjs/typescript among them). tap does
// rebuild on its own, but only after its runner has computed the test processes' loaders from the
// old build: that first run then gives every test process ts-node as well as tsx, so a .ts file
// compiles to other JavaScript there than in the CLI children (tsx alone), and the report, which
// merges V8 coverage by URL under one source map, credits the wrong lines (models/session.ts 24 %).
import '@tapjs/core' // before @tapjs/test, which fails to load first (circular import)
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'

const { signature } = await import('@tapjs/test')
const { TapConfig } = await import('@tapjs/config')
const config = await TapConfig.load()
if (signature !== config.pluginSignature) {
  const require = createRequire(import.meta.url)
  const bin = require.resolve('tap/package.json').replace(/package\.json$/, 'dist/esm/run.mjs')
  execFileSync(process.execPath, [bin, 'build'], { stdio: 'inherit' })
}
