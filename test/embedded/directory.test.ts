import { fileTest } from '../helpers/file-test.js'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { buildApp } from '../helpers/app.js'
import { startEmbedded, EmbeddedEngineError } from '../../lib/engine/index.js'
import { LOCK_FILE } from '../../lib/engine/data-directory.js'
import { silentLogger } from '../../lib/logger.js'

const t = fileTest()

const log = silentLogger()

t.test('a pglite://<directory> database survives a restart with its data and migration state', async t => {
  const dir = join(t.testdir(), 'db')
  await t.test('first start creates and migrates it', async t => {
    const app = await buildApp(t, { connectionString: `pglite://${dir}`, migrate: true })
    const user = await app.db.models.User.create({ email: 'keep@example.com', name: 'Keep', role: 'coach' })
    await app.db.models.Conversation.create({ userId: user.id, title: 'kept', shareToken: 'tok', shareEnabled: true })
    t.equal(await readFile(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`, 'locked while open')
    await app.close()
    await t.rejects(readFile(join(dir, LOCK_FILE)), { code: 'ENOENT' }, 'lock released on close')
  })
  await t.test('second start finds both', async t => {
    // Relative to the working directory this time: the same database.
    const app = await buildApp(t, { connectionString: `pglite://${relative(process.cwd(), dir)}`, migrate: true })
    t.same(await app.db.migrator.pending(), [], 'nothing to migrate again')
    t.same((await app.db.migrator.executed()).map(m => m.name), ['20261123000000_initial_schema'])
    const user = await app.db.models.User.findOne({ where: { email: 'keep@example.com' }, include: ['conversations'] })
    t.equal(user?.name, 'Keep')
    t.equal(user?.conversations?.[0]?.shareToken, 'tok')
  })
})

t.test('clear errors for directories that cannot be used', async t => {
  const root = t.testdir({ 'a-file': 'x', foreign: { 'notes.txt': 'mine' } })
  const fileErr = await startEmbedded(`pglite://${join(root, 'a-file')}`, log).catch((e: unknown) => e) as EmbeddedEngineError
  t.type(fileErr, EmbeddedEngineError)
  t.equal(fileErr.code, 'ERR_COACH_DB_EMBEDDED_DIRECTORY')
  t.match(fileErr.message, /is a file, not a directory/)

  const foreignErr = await startEmbedded(`pglite://${join(root, 'foreign')}`, log).catch((e: unknown) => e) as EmbeddedEngineError
  t.equal(foreignErr.code, 'ERR_COACH_DB_EMBEDDED_DIRECTORY')
  t.match(foreignErr.message, /not empty and is not a PostgreSQL data directory.*notes\.txt/)

  const underFile = await startEmbedded(`pglite://${join(root, 'a-file', 'sub')}`, log).catch((e: unknown) => e) as EmbeddedEngineError
  t.equal(underFile.code, 'ERR_COACH_DB_EMBEDDED_DIRECTORY')
  t.match(underFile.message, /can't be created or written \(ENOTDIR\)/)

  for (const url of ['pglite://', 'pglite://db?mode=rw']) {
    const err = await startEmbedded(url, log).catch((e: unknown) => e) as EmbeddedEngineError
    t.equal(err.code, 'ERR_COACH_DB_EMBEDDED_URL', url)
  }
})

t.test('one directory, one engine: a second is refused, a stale lock is taken over', async t => {
  const dir = join(t.testdir(), 'db')
  const engine = await startEmbedded(`pglite://${dir}`, log)
  const err = await startEmbedded(`pglite://${dir}`, log).catch((e: unknown) => e) as EmbeddedEngineError
  t.equal(err.code, 'ERR_COACH_DB_EMBEDDED_IN_USE')
  t.match(err.message, /already open by another embedded engine in this process/)
  await engine.close()

  // A crashed process leaves its lock behind; pid 2^22+1 is above Linux's pid_max default.
  await writeFile(join(dir, LOCK_FILE), '4194305\n')
  const again = await startEmbedded(`pglite://${dir}`, log)
  t.equal(await readFile(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`)
  await again.close()
})

t.test('a lock held by another live process is refused with its pid', async t => {
  const dir = join(t.testdir(), 'db')
  await mkdir(dir)
  await writeFile(join(dir, LOCK_FILE), `${process.ppid}\n`)
  const err = await startEmbedded(`pglite://${dir}`, log).catch((e: unknown) => e) as EmbeddedEngineError
  t.equal(err.code, 'ERR_COACH_DB_EMBEDDED_IN_USE')
  t.match(err.message, new RegExp(`process ${process.ppid}`))
})
