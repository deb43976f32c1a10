#!/usr/bin/env node
// The package as an app installs it: `npm pack`, then fresh apps in a temp directory that install
// the tarball next to their own fastify 5 (the oldest and the newest the peer range allows) and
// do what the README says. Prints TAP lines and `N passed, N failed`; exits 1 on any failure.
// Needs the npm registry and PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres).
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import pg from 'pg'

const run = promisify(execFile)
const root = new URL('..', import.meta.url).pathname
const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const work = await mkdtemp(join(tmpdir(), 'coach-consumer-'))
const keep = process.env.COACH_DB_CONSUMER_KEEP === '1'
const results = []
const databases = []

async function check (name, fn) {
  const n = results.length + 1
  const started = Date.now()
  try {
    await fn()
    results.push(true)
    console.log(`ok ${n} - ${name} # time=${Date.now() - started}ms`)
  } catch (err) {
    results.push(false)
    console.log(`not ok ${n} - ${name}`)
    console.log(String(err?.stack ?? err).split('\n').map(line => `  # ${line}`).join('\n'))
    if (err?.stdout) console.log(String(err.stdout).trim().split('\n').slice(-30).map(line => `  # ${line}`).join('\n'))
    if (err?.stderr) console.log(String(err.stderr).trim().split('\n').slice(-30).map(line => `  # ${line}`).join('\n'))
  }
}

function assert (condition, message) {
  if (!condition) throw new Error(message)
}

async function sh (cwd, cmd, args, env = {}) {
  return await run(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 })
}

async function npm (cwd, ...args) {
  return await sh(cwd, 'npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'])
}

async function freshDatabase () {
  const name = `coach_consumer_${randomBytes(5).toString('hex')}`
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  databases.push(name)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

async function dropDatabases () {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    for (const name of databases) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  } finally {
    await client.end()
  }
}

async function du (path) {
  let total = 0
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name)
    if (entry.isDirectory()) total += await du(full)
    else if (entry.isFile()) total += (await stat(full)).size
  }
  return total
}

const mb = bytes => `${(bytes / 1024 / 1024).toFixed(1)} MB`

async function freePort () {
  const server = createServer()
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise(resolve => server.close(resolve))
  return port
}

/** The README's "Use it in your app" TypeScript block, exactly as a user copies it. */
async function readmeSnippet () {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Use it in your app'))
  const match = /```ts\n([\s\S]*?)```/.exec(section)
  assert(match, 'README has no ```ts block under "Use it in your app"')
  return match[1]
}

/** A new app folder with its package.json; `type` is "module" or "commonjs". */
async function newApp (name, type, deps) {
  const dir = join(work, name)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type }, null, 2))
  await npm(dir, 'install', ...deps)
  return dir
}

const STRICT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    outDir: 'dist',
    types: ['node']
  },
  include: ['*.ts']
}

/** Starts the compiled README app, waits for it to listen, and returns it with a stop function. */
async function startApp (dir, env) {
  const port = await freePort()
  const child = spawn(process.execPath, ['dist/app.js'], { cwd: dir, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', chunk => { output += chunk })
  child.stderr.on('data', chunk => { output += chunk })
  const exited = new Promise(resolve => child.once('exit', code => resolve(code)))
  const deadline = Date.now() + 60_000
  while (!/Server listening/.test(output)) {
    const code = await Promise.race([exited, new Promise(resolve => setTimeout(() => resolve('wait'), 100))])
    if (code !== 'wait') throw new Error(`the app exited (${code}) before listening:\n${output.slice(-3000)}`)
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`the app did not listen within 60 s:\n${output.slice(-3000)}`) }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: async () => { child.kill('SIGTERM'); await exited }
  }
}

async function exerciseApp (dir, env) {
  const app = await startApp(dir, env)
  try {
    const id = '00000000-0000-4000-8000-000000000000'
    const list = await fetch(`${app.url}/users/${id}/conversations`)
    assert(list.status === 200, `GET /users/:id/conversations answered ${list.status}`)
    assert(JSON.stringify(await list.json()) === '[]', 'a new database has no conversations')
    const page = await fetch(`${app.url}/conversations/${id}/messages`)
    assert(page.status === 200, `GET /conversations/:id/messages answered ${page.status}`)
    const body = await page.json()
    assert(Array.isArray(body.messages) && body.messages.length === 0, `unexpected page ${JSON.stringify(body)}`)
  } finally {
    await app.stop()
  }
}

const NODE_TEST_FILE = `import { test, beforeEach, afterEach, after } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import coachDb from 'fastify-coach-db'
import { createTestDatabase, isolateEachTest, loadFixtures } from 'fastify-coach-db/testing'

const database = await createTestDatabase()
const app = Fastify()
await app.register(coachDb, { connectionString: database.url })
app.delete('/users/:id', async (request, reply) => {
  await app.db.models.User.destroy({ where: { id: request.params.id } })
  return await reply.code(204).send()
})
await app.ready()
after(async () => { await app.close(); await database.drop() })

const fx = await loadFixtures(app.db)
isolateEachTest({ beforeEach, afterEach }, app.db)

test('deleting a user deletes their conversations', async () => {
  const res = await app.inject({ method: 'DELETE', url: '/users/' + fx.users.ms_rivera.id })
  assert.equal(res.statusCode, 204)
  assert.equal(await app.db.models.Conversation.count({ where: { userId: fx.users.ms_rivera.id } }), 0)
})

test('the next test starts from the fixtures again', async () => {
  assert.ok(await app.db.models.User.findByPk(fx.users.ms_rivera.id))
  assert.equal(await app.db.models.Conversation.count({ where: { userId: fx.users.ms_rivera.id } }), 4)
})
`

async function migrationsCli (dir) {
  const url = await freshDatabase()
  const env = { DATABASE_URL: url }
  const created = await sh(dir, 'npx', ['coach-db', 'create', 'add', 'nickname'], env)
  const file = /(migrations\/\S+)/.exec(created.stdout + created.stderr)?.[1]
  assert(file !== undefined, `create did not say what it wrote: ${created.stdout}${created.stderr}`)
  const path = join(dir, file.replace(/[.,:]$/, ''))
  const source = await readFile(path, 'utf8')
  await writeFile(path, source.replace(/SELECT 1'\)\n}\n\n/, "ALTER TABLE users ADD COLUMN nickname text')\n}\n\n").replace(/SELECT 1'\)\n}\n$/, "ALTER TABLE users DROP COLUMN nickname')\n}\n"))
  await sh(dir, 'npx', ['coach-db', 'up'], env)
  const { stdout } = await sh(dir, 'npx', ['coach-db', 'status', '--json'], env)
  const status = JSON.parse(stdout)
  const rows = Array.isArray(status) ? status : status.migrations
  assert(Array.isArray(rows), `status --json printed no list: ${stdout.slice(0, 300)}`)
  const names = rows.map(row => row.name)
  assert(names.includes('20261123000000_initial_schema'), 'the package\'s migration is listed')
  const mine = rows.find(row => row.name.endsWith('_add_nickname'))
  assert(mine !== undefined, `the app's migration is listed: ${names.join(', ')}`)
  assert(mine.applied === true || mine.state === 'applied' || mine.status === 'applied', `the app's migration is applied: ${JSON.stringify(mine)}`)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows: cols } = await client.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname'")
    assert(cols.length === 1, 'the app migration added its column')
  } finally {
    await client.end()
  }
}

try {
  let tarball
  await check('npm pack builds the package', async () => {
    const { stdout } = await npm(root, 'pack', '--pack-destination', work, '--json')
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('[')))
    tarball = join(work, info.filename)
    const files = info.files.map(f => f.path)
    console.log(`# tarball: ${mb(info.size)} packed, ${mb(info.unpackedSize)} unpacked, ${files.length} files`)
    assert(!files.some(f => f.endsWith('.map')), 'no source maps that point at unshipped sources')
    assert(!files.some(f => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript sources')
    for (const doc of ['docs/testing.md', 'docs/credentials.md', 'migrations/README.md']) assert(files.includes(doc), `${doc} is shipped (the README links to it)`)
  })
  if (tarball === undefined) throw new Error('no tarball')

  const { stdout: versions } = await npm(root, 'view', 'fastify@^5', 'version', '--json')
  const semver = v => v.split('.').map(Number)
  const fastify5 = [JSON.parse(versions)].flat().filter(v => /^\d+\.\d+\.\d+$/.test(v))
    .sort((a, b) => semver(a).reduce((d, n, i) => d || n - semver(b)[i], 0))
  const oldest = fastify5[0]
  const newest = fastify5[fastify5.length - 1]
  const snippet = await readmeSnippet()
  const runnable = snippet.replace(/await app\.listen\(\{ port: \d+ \}\)/, "await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })")
  assert(runnable !== snippet || /process\.env\.PORT/.test(snippet), 'README snippet listens on a fixed port the test can replace')

  let esmApp
  for (const version of [...new Set([oldest, newest])]) {
    const dir = await newApp(`esm-fastify-${version}`, 'module', [tarball, `fastify@${version}`, 'typescript@~5.9', '@types/node@22'])
    if (version === newest) esmApp = dir
    await check(`fastify ${version}: one fastify in the tree, PGlite not installed`, async () => {
      const installed = JSON.parse(await readFile(join(dir, 'node_modules/fastify/package.json'), 'utf8')).version
      assert(installed === version, `the app's fastify is ${installed}`)
      await stat(join(dir, 'node_modules/fastify-coach-db/node_modules/fastify')).then(() => { throw new Error('a nested fastify was installed under fastify-coach-db') }, () => {})
      await stat(join(dir, 'node_modules/@electric-sql/pglite')).then(() => { throw new Error('PGlite was installed although the app never asked for it') }, () => {})
    })
    await check(`fastify ${version}: the README's "Use it in your app" compiles with strict tsc (skipLibCheck: false, module nodenext)`, async () => {
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(STRICT_TSCONFIG, null, 2))
      await writeFile(join(dir, 'app.ts'), runnable)
      await writeFile(join(dir, 'readme.ts'), snippet)
      await sh(dir, 'npx', ['tsc', '-p', '.'])
    })
    if (version === oldest && oldest !== newest) {
      await check(`fastify ${version}: the README app runs against PostgreSQL`, async () => {
        await exerciseApp(dir, { DATABASE_URL: await freshDatabase() })
      })
    }
  }

  await check(`fastify ${newest}: the README app runs against PostgreSQL`, async () => {
    await exerciseApp(esmApp, { DATABASE_URL: await freshDatabase() })
  })
  await check('installed size of an app that uses only PostgreSQL', async () => {
    console.log(`# installed: ${mb(await du(join(esmApp, 'node_modules')))} node_modules (fastify-coach-db, fastify ${newest}, typescript, @types/node)`)
    const own = await du(join(esmApp, 'node_modules/fastify-coach-db'))
    console.log(`# of which fastify-coach-db itself: ${mb(own)}`)
  })
  await check('a pglite:// URL without PGlite installed fails with what to install', async () => {
    const err = await exerciseApp(esmApp, { DATABASE_URL: 'pglite://memory' }).then(() => undefined, e => e)
    assert(err !== undefined, 'the app started without PGlite')
    assert(/ERR_COACH_DB_EMBEDDED_MISSING|npm install @electric-sql\/pglite/.test(String(err.message)), `unclear error: ${String(err.message).slice(0, 1500)}`)
  })
  await check('migrations an app writes: create + up + status --json (ESM app)', async () => {
    await migrationsCli(esmApp)
  })
  await check('fastify-coach-db/testing with node:test (fixtures, a transaction per test)', async () => {
    await writeFile(join(esmApp, 'app.test.mjs'), NODE_TEST_FILE)
    // TAP reporter on every Node (Node 24 defaults to the spec reporter otherwise).
    const { stdout } = await sh(esmApp, process.execPath, ['--test', '--test-reporter=tap', 'app.test.mjs'], { TEST_DATABASE_URL: adminUrl })
    assert(/# pass 2/.test(stdout) && /# fail 0/.test(stdout), stdout)
  })
  await check('with PGlite installed, the README app runs on pglite://memory', async () => {
    const pglite = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).peerDependencies
    await npm(esmApp, 'install', `@electric-sql/pglite@${pglite['@electric-sql/pglite']}`, `@electric-sql/pglite-pgvector@${pglite['@electric-sql/pglite-pgvector']}`)
    await exerciseApp(esmApp, { DATABASE_URL: 'pglite://memory' })
  })

  const cjsApp = await newApp('cjs-app', 'commonjs', [tarball, `fastify@${newest}`])
  await check('CommonJS app: require(\'fastify-coach-db\') registers and becomes ready', async () => {
    const url = await freshDatabase()
    await writeFile(join(cjsApp, 'index.js'), `const Fastify = require('fastify')
const { fastifyCoachDb } = require('fastify-coach-db')
const app = Fastify()
app.register(fastifyCoachDb, { connectionString: process.env.DATABASE_URL, migrate: true })
app.ready().then(async () => {
  console.log('users:', await app.db.models.User.count())
  await app.close()
})
`)
    const { stdout } = await sh(cjsApp, process.execPath, ['index.js'], { DATABASE_URL: url })
    assert(/users: 0/.test(stdout), stdout)
  })
  await check('migrations an app writes: create + up + status --json (CommonJS app)', async () => {
    await migrationsCli(cjsApp)
  })
} catch (err) {
  results.push(false)
  console.log(`not ok ${results.length} - consumer test could not go on: ${err?.message ?? err}`)
} finally {
  await dropDatabases().catch(err => console.log(`# could not drop test databases: ${err.message}`))
  if (!keep) await rm(work, { recursive: true, force: true })
  else console.log(`# kept ${work}`)
}

const pass = results.filter(Boolean).length
const fail = results.length - pass
console.log(`1..${results.length}`)
console.log(`# { total: ${results.length}, pass: ${pass}, fail: ${fail} }`)
console.log(`${pass} passed, ${fail} failed`)
process.exitCode = fail === 0 ? 0 : 1
