import { execFile, execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chown, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import pg from 'pg'

const run = promisify(execFile)

/** Where the PostgreSQL 15 server binaries are; env `PG_BIN` overrides. */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

/**
 * A throwaway PostgreSQL cluster of its own: unlike the shared test server (trust auth), it
 * checks passwords (scram-sha-256) and can be stopped and started by the test.
 */
export interface PrivateCluster {
  readonly host: '127.0.0.1'
  readonly port: number
  /** Superuser URL with its password: `postgres://postgres:…@127.0.0.1:<port>/postgres`. */
  readonly url: string
  /** Whether the server accepts TLS (self-signed certificate). */
  readonly ssl: boolean
  /** `url` with another database, user and password. */
  urlFor: (database: string, user?: string, password?: string) => string
  /** Runs one statement as the superuser on a fresh connection (works while the app's pool is busy). */
  adminQuery: <R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string) => Promise<R[]>
  /** `pg_ctl stop -m <mode>` (default `immediate`, like a crash or failover). */
  stop: (mode?: 'smart' | 'fast' | 'immediate') => Promise<void>
  /** Starts it again on the same port and data. */
  start: () => Promise<void>
  /** Stops it and deletes its files. Registered as teardown when a test is given. */
  destroy: () => Promise<void>
}

/** Options of {@link startPrivateCluster}. */
export interface PrivateClusterOptions {
  /** Turn TLS on with a self-signed certificate (default true when `openssl` is present). */
  ssl?: boolean
}

/**
 * A copy of a freshly initdb'd data directory (scram auth, a random superuser password, a
 * self-signed certificate) in a temp dir, a free port on loopback, `pg_ctl start -w`. As root,
 * everything runs as the `postgres` OS user (PostgreSQL refuses to run as root) and the temp dir
 * is handed to that user. Pass `t` to have it removed at teardown; it is also stopped if the
 * process exits without teardown. Each caller gets a server of its own (tests stop and restart
 * theirs), but `initdb` runs once: see {@link initdbTemplate}.
 */
export async function startPrivateCluster (t?: { teardown: (fn: () => Promise<void>) => void }, options: PrivateClusterOptions = {}): Promise<PrivateCluster> {
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined
  const dir = await mkdtemp(join(tmpdir(), 'coach-pg-'))
  const data = join(dir, 'data')
  if (owner !== undefined) await chown(dir, owner.uid, owner.gid)
  const asOwner = async (cmd: string, args: string[]): Promise<void> => {
    const [file, argv] = owner !== undefined ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
    await run(file, argv, { timeout: 60_000 })
  }
  const template = await initdbTemplate(owner)
  await asOwner('cp', ['-a', template.data, data])
  const password = template.password
  const ssl = (options.ssl ?? true) && template.ssl

  let port = 0
  let running = false
  const pgCtl = async (...args: string[]): Promise<void> => { await asOwner(join(PG_BIN, 'pg_ctl'), ['-D', data, ...args]) }
  const start = async (): Promise<void> => {
    // A free port can be taken between the check and the first start by a parallel test: try a
    // few. A restart keeps its port, so clients reconnect to the same address.
    const firstStart = port === 0
    for (let attempt = 1; ; attempt++) {
      if (firstStart) port = await freePort()
      const settings = [`-p ${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${dir}`, '-c fsync=off', '-c max_connections=50', ...(ssl ? ['-c ssl=on'] : [])]
      try {
        await pgCtl('start', '-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', settings.join(' '))
        running = true
        return
      } catch (err) {
        if (!firstStart || attempt >= 3) throw err
      }
    }
  }
  const stop = async (mode: 'smart' | 'fast' | 'immediate' = 'immediate'): Promise<void> => {
    if (!running) return
    await pgCtl('stop', '-w', '-m', mode)
    running = false
  }
  const stopOnExit = (): void => {
    if (!running) return
    try { execFileSync(owner !== undefined ? 'runuser' : join(PG_BIN, 'pg_ctl'), owner !== undefined ? ['-u', 'postgres', '--', join(PG_BIN, 'pg_ctl'), '-D', data, 'stop', '-m', 'immediate'] : ['-D', data, 'stop', '-m', 'immediate'], { stdio: 'ignore' }) } catch {}
  }
  process.once('exit', stopOnExit)

  let destroyed = false
  const destroy = async (): Promise<void> => {
    if (destroyed) return
    destroyed = true
    process.removeListener('exit', stopOnExit)
    await stop('immediate').catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await start()
  } catch (err) {
    await destroy()
    throw err
  }
  t?.teardown(destroy)

  const urlFor = (database: string, user = 'postgres', pw = user === 'postgres' ? password : undefined): string =>
    `postgres://${encodeURIComponent(user)}${pw !== undefined ? `:${encodeURIComponent(pw)}` : ''}@127.0.0.1:${port}/${encodeURIComponent(database)}`
  return {
    host: '127.0.0.1',
    get port () { return port },
    get url () { return urlFor('postgres') },
    ssl,
    urlFor,
    adminQuery: async <R extends pg.QueryResultRow>(sql: string, params?: unknown[], database = 'postgres'): Promise<R[]> => {
      const client = new pg.Client({ connectionString: urlFor(database) })
      await client.connect()
      try {
        return (await client.query<R>(sql, params)).rows
      } finally {
        await client.end()
      }
    },
    stop,
    start,
    destroy
  }
}

/** The `postgres` OS user that runs the servers when the tests run as root. */
export function postgresUser (): { uid: number, gid: number } {
  const [uid, gid] = ['-u', '-g'].map(flag => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim()))
  return { uid: uid as number, gid: gid as number }
}

/** Whether `openssl` is here to make the server certificate (clusters then accept TLS). */
export function hasOpenssl (): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A free TCP port on loopback (it may be taken again before use: callers retry). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

/** Where the shared initdb templates live (one per PostgreSQL build and day). */
export const TEMPLATE_ROOT = join(tmpdir(), 'fastify-coach-db')

interface Template { data: string, password: string, ssl: boolean }

/**
 * `initdb` (and the certificate) cost seconds of CPU per cluster, the same every time: it runs
 * once, into a shared template that every private cluster copies (`cp -a`, well under a second).
 * Parallel test files race for a lock directory; the winner builds the template aside and renames
 * it into place, the others wait for it. A template is kept for the day (its certificate is valid
 * for two), so a whole `npm test` pays for one `initdb` at most.
 */
async function initdbTemplate (owner: { uid: number, gid: number } | undefined): Promise<Template> {
  const prefix = `pg-initdb-${createHash('sha256').update(PG_BIN).digest('hex').slice(0, 8)}-`
  const name = `${prefix}${new Date().toISOString().slice(0, 10)}`
  const target = join(TEMPLATE_ROOT, name)
  const lock = `${target}.lock`
  await mkdir(TEMPLATE_ROOT, { recursive: true, mode: 0o755 })
  for (let waited = 0; ; waited += 100) {
    const ready = await readTemplate(target)
    if (ready !== undefined) return ready
    try {
      await mkdir(lock)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      // Another file is building it; a lock older than two minutes is left by a killed run.
      const age = Date.now() - (await stat(lock).then(s => s.mtimeMs, () => Date.now()))
      if (age > 120_000 || waited > 180_000) await rm(lock, { recursive: true, force: true })
      await sleep(100)
      continue
    }
    try {
      await buildTemplate(target, owner)
      await removeOlderTemplates(prefix, name)
    } finally {
      await rm(lock, { recursive: true, force: true })
    }
  }
}

async function readTemplate (target: string): Promise<Template | undefined> {
  const password = await readFile(join(target, 'password'), 'utf8').catch(() => undefined)
  if (password === undefined) return undefined
  const ssl = await stat(join(target, 'data', 'server.crt')).then(() => true, () => false)
  return { data: join(target, 'data'), password: password.trim(), ssl }
}

async function buildTemplate (target: string, owner: { uid: number, gid: number } | undefined): Promise<void> {
  const dir = await mkdtemp(`${target}.build-`)
  try {
    const data = join(dir, 'data')
    const password = randomBytes(12).toString('hex')
    await writeFile(join(dir, 'password'), `${password}\n`, { mode: 0o600 })
    if (owner !== undefined) {
      await chown(dir, owner.uid, owner.gid)
      await chown(join(dir, 'password'), owner.uid, owner.gid)
    }
    const asOwner = async (cmd: string, args: string[]): Promise<void> => {
      const [file, argv] = owner !== undefined ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
      await run(file, argv, { timeout: 60_000 })
    }
    await asOwner(join(PG_BIN, 'initdb'), ['-D', data, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${join(dir, 'password')}`, '--encoding=UTF8', '--locale=C', '--no-sync'])
    if (hasOpenssl()) await asOwner('openssl', ['req', '-x509', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-subj', '/CN=127.0.0.1', '-days', '2', '-keyout', join(data, 'server.key'), '-out', join(data, 'server.crt')])
    await rename(dir, target)
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}

// Yesterday's templates (and builds a killed run left) are of no further use.
async function removeOlderTemplates (prefix: string, keep: string): Promise<void> {
  for (const entry of await readdir(TEMPLATE_ROOT).catch(() => [] as string[])) {
    if (entry.startsWith(prefix) && entry !== keep && !entry.endsWith('.lock')) await rm(join(TEMPLATE_ROOT, entry), { recursive: true, force: true }).catch(() => {})
  }
}
