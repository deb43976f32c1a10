import { execFile, execFileSync } from 'node:child_process'
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import pg from 'pg'
import { PG_BIN, freePort, postgresUser, type PrivateCluster } from './private-cluster.js'

const run = promisify(execFile)

/** Something a test can tear down: tap's `t`, or nothing. */
type Teardown = { teardown: (fn: () => Promise<void>) => void } | undefined

/** A hot standby streaming from a private cluster, on a port of its own. */
export interface StreamingReplica {
  readonly host: '127.0.0.1'
  readonly port: number
  /** `cluster.urlFor(database)` pointed at the replica (same users and passwords). */
  urlFor: (database: string, user?: string, password?: string) => string
  /** Waits until the replica has replayed everything the primary has written so far. */
  catchUp: (timeoutMs?: number) => Promise<void>
  stop: (mode?: 'smart' | 'fast' | 'immediate') => Promise<void>
  start: () => Promise<void>
  destroy: () => Promise<void>
}

/**
 * `pg_basebackup -R` of a running private cluster (the default pg_hba allows replication over
 * loopback with the superuser's password), started as a hot standby: what RDS calls a read replica.
 */
export async function startStreamingReplica (t: Teardown, primary: PrivateCluster): Promise<StreamingReplica> {
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined
  const dir = await mkdtemp(join(tmpdir(), 'coach-replica-'))
  const data = join(dir, 'data')
  if (owner !== undefined) await chown(dir, owner.uid, owner.gid)
  const password = new URL(primary.url).password
  const asOwner = async (cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> => {
    const [file, argv] = owner !== undefined ? ['runuser', ['-u', 'postgres', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args]] : [cmd, args]
    await run(file, argv, { timeout: 60_000, env: { ...process.env, ...env } })
  }
  await asOwner(join(PG_BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '--no-sync', '--checkpoint=fast'], { PGPASSWORD: decodeURIComponent(password) })
  const port = await freePort()
  let running = false
  const pgCtl = async (...args: string[]): Promise<void> => { await asOwner(join(PG_BIN, 'pg_ctl'), ['-D', data, ...args]) }
  const start = async (): Promise<void> => {
    const settings = [`-p ${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${dir}`, '-c fsync=off', '-c hot_standby=on', '-c max_connections=50']
    await pgCtl('start', '-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', settings.join(' '))
    running = true
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
  const urlFor = (database: string, user?: string, pw?: string): string => {
    const url = new URL(primary.urlFor(database, user, pw))
    url.port = String(port)
    return url.toString()
  }
  const catchUp = async (timeoutMs = 30_000): Promise<void> => {
    const [{ lsn }] = await primary.adminQuery<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')
    const client = new pg.Client({ connectionString: urlFor('postgres') })
    await client.connect()
    try {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const { rows } = await client.query<{ done: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [lsn])
        if (rows[0]?.done === true) return
        if (Date.now() > deadline) throw new Error(`replica did not replay up to ${lsn} within ${timeoutMs} ms`)
        await sleep(20)
      }
    } finally {
      await client.end()
    }
  }
  return { host: '127.0.0.1', port, urlFor, catchUp, stop, start, destroy }
}

/** A PgBouncer in front of a private cluster. */
export interface Bouncer {
  readonly port: number
  /** A URL through the bouncer for `database` (any database of the cluster), as the superuser. */
  urlFor: (database: string) => string
  destroy: () => Promise<void>
}

/** Whether Debian's `pgbouncer` is installed (CI installs it; a test skips with this reason otherwise). */
export function pgbouncerMissing (): string | false {
  try {
    execFileSync('pgbouncer', ['--version'], { stdio: 'ignore' })
    return false
  } catch {
    return 'pgbouncer is not installed (apt-get install pgbouncer)'
  }
}

/**
 * Starts `pgbouncer` in `pool_mode` (default `transaction`, like RDS Proxy's multiplexing) in
 * front of `cluster`, authenticating clients with the cluster's own superuser password.
 */
export async function startPgBouncer (t: Teardown, cluster: PrivateCluster, options: { poolMode?: 'transaction' | 'session', poolSize?: number, maxClients?: number } = {}): Promise<Bouncer> {
  const dir = await mkdtemp(join(tmpdir(), 'coach-bouncer-'))
  const port = await freePort()
  const password = decodeURIComponent(new URL(cluster.url).password)
  await writeFile(join(dir, 'users.txt'), `"postgres" "${password}"\n`)
  await writeFile(join(dir, 'pgbouncer.ini'), [
    '[databases]',
    `* = host=127.0.0.1 port=${cluster.port}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    `unix_socket_dir = ${dir}`,
    'auth_type = scram-sha-256',
    `auth_file = ${join(dir, 'users.txt')}`,
    `pool_mode = ${options.poolMode ?? 'transaction'}`,
    `default_pool_size = ${options.poolSize ?? 10}`,
    `max_client_conn = ${options.maxClients ?? 2000}`,
    // Sequelize and pg send these start-up parameters; a transaction pooler must accept them.
    'ignore_startup_parameters = extra_float_digits,statement_timeout,application_name,options',
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    'server_tls_sslmode = prefer',
    ''
  ].join('\n'))
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined
  if (owner !== undefined) {
    for (const f of ['', 'users.txt', 'pgbouncer.ini']) await chown(join(dir, f), owner.uid, owner.gid)
    await chmod(join(dir, 'users.txt'), 0o600)
  }
  // pgbouncer refuses to run as root: run it as the postgres OS user, daemonised with -d.
  const [file, argv] = owner !== undefined ? ['runuser', ['-u', 'postgres', '--', 'pgbouncer', '-d', join(dir, 'pgbouncer.ini')]] : ['pgbouncer', ['-d', join(dir, 'pgbouncer.ini')]]
  await run(file, argv, { timeout: 30_000 })
  await waitForPort(port)
  const pid = Number((await readFile(join(dir, 'pgbouncer.pid'), 'utf8')).trim())
  const kill = (): void => { try { process.kill(pid, 'SIGTERM') } catch {} }
  process.once('exit', kill)
  let destroyed = false
  const destroy = async (): Promise<void> => {
    if (destroyed) return
    destroyed = true
    process.removeListener('exit', kill)
    kill()
    await sleep(100)
    await rm(dir, { recursive: true, force: true })
  }
  t?.teardown(destroy)
  return {
    port,
    urlFor: (database: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    destroy
  }
}

/** A certificate authority of the test's own, and a server certificate it signed. */
export interface TestCa {
  /** PEM of the CA certificate: what `PGSSLROOTCERT` / `ssl.ca` should trust. */
  readonly caPem: string
  /** Path of the CA certificate file. */
  readonly caFile: string
}

/**
 * Makes a CA and a server certificate for `hostNames` signed by it, installs them as the cluster's
 * `server.crt`/`server.key` and reloads the server, so `verify-full` can be tested for real: it
 * must pass with this CA and these names, and fail with another CA or another host name.
 */
export async function serveCertificateFromOwnCa (t: Teardown, cluster: PrivateCluster, hostNames: string[] = ['localhost', '127.0.0.1']): Promise<TestCa> {
  const { dir, ...ca } = await issueServerCertificate(t, hostNames)
  const [{ data_directory: data }] = await cluster.adminQuery<{ data_directory: string }>('SHOW data_directory')
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined
  for (const name of ['server.crt', 'server.key']) {
    const target = join(data, name)
    await writeFile(target, await readFile(join(dir, name)), { mode: 0o600 })
    if (owner !== undefined) await chown(target, owner.uid, owner.gid)
  }
  await cluster.adminQuery('SELECT pg_reload_conf()')
  await sleep(200)
  return { caPem: ca.caPem, caFile: ca.caFile }
}

/** A CA of the test's own and a server certificate (key and PEM) it signed for `hostNames`. */
export interface ServerCertificate extends TestCa {
  readonly certPem: string
  readonly keyPem: string
}

/** Makes a CA and a server certificate for `hostNames` signed by it, for a TLS server of the test's own. */
export async function issueServerCertificate (t: Teardown, hostNames: string[]): Promise<ServerCertificate & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'coach-ca-'))
  t?.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const ca = await makeCa(dir, 'fastify-coach-db test CA')
  const san = hostNames.map(name => /^[\d.]+$/.test(name) ? `IP:${name}` : `DNS:${name}`).join(',')
  await writeFile(join(dir, 'ext.cnf'), `subjectAltName=${san}\n`)
  await openssl(['req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-subj', `/CN=${hostNames[0]}`, '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.csr')])
  await openssl(['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', ca.caFile, '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', join(dir, 'ext.cnf'), '-out', join(dir, 'server.crt')])
  return { dir, caPem: ca.caPem, caFile: ca.caFile, certPem: await readFile(join(dir, 'server.crt'), 'utf8'), keyPem: await readFile(join(dir, 'server.key'), 'utf8') }
}

/** A CA of its own that signed nothing the server serves: `verify-*` with it must fail. */
export async function makeOtherCa (t: Teardown): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'coach-ca-'))
  t?.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return await makeCa(dir, 'some other CA')
}

async function makeCa (dir: string, name: string): Promise<TestCa & { keyFile: string }> {
  const caFile = join(dir, 'ca.crt')
  const keyFile = join(dir, 'ca.key')
  await openssl(['req', '-x509', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-subj', `/CN=${name}`, '-days', '2', '-keyout', keyFile, '-out', caFile])
  return { caFile, keyFile, caPem: await readFile(caFile, 'utf8') }
}

async function openssl (args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 30_000 })
}



async function waitForPort (port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>(resolve => {
      const socket = new Socket()
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { socket.destroy(); resolve(false) })
      socket.connect(port, '127.0.0.1')
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`)
    await sleep(50)
  }
}
