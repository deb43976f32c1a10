import { writeFile } from 'node:fs/promises'
import os from 'node:os'
import { createTestDatabase } from '../lib/testing/database.js'
import { benchStartup } from './startup.js'
import { benchRequests } from './requests.js'
import { benchWrites } from './writes.js'
import { benchPaging } from './paging.js'
import { generateDataset } from './dataset.js'
import { benchScale } from './scale.js'
import { benchFixtures } from './fixtures.js'
import { benchEmbedded } from './embedded.js'
import { benchSessionPurge } from './session-purge.js'
import { printTable, type Figure } from './stats.js'

const sections = new Set(process.argv.slice(2))
const wanted = (name: string): boolean => sections.size === 0 || sections.has(name)

const db = await createTestDatabase()
const figures: Figure[] = []
try {
  if (wanted('startup')) figures.push(...await benchStartup(db.url))
  if (wanted('requests')) {
    await generateDataset(db.url, { users: 100, conversations: 1_000, messages: 100_000 })
    figures.push(...await benchRequests(db.url))
  }
  if (wanted('writes')) {
    const writesDb = await createTestDatabase()
    try {
      figures.push(...await benchWrites(writesDb.url))
    } finally {
      await writesDb.drop()
    }
  }
  if (wanted('paging')) {
    const pagingDb = await createTestDatabase()
    try {
      figures.push(...await benchPaging(pagingDb.url))
    } finally {
      await pagingDb.drop()
    }
  }
  if (wanted('fixtures')) figures.push(...await benchFixtures())
  if (wanted('embedded')) figures.push(...await benchEmbedded())
  if (wanted('purge')) {
    const purgeDb = await createTestDatabase()
    try {
      figures.push(...await benchSessionPurge(purgeDb.url, { batchSize: Number(process.env.BENCH_PURGE_BATCH ?? 1000) }))
    } finally {
      await purgeDb.drop()
    }
  }
  if (wanted('scale')) {
    const scaleDb = await createTestDatabase()
    try {
      figures.push(...await benchScale(scaleDb.url))
    } finally {
      await scaleDb.drop()
    }
  }
} finally {
  await db.drop()
}
printTable(figures)
const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() }
await writeFile(new URL('./results.json', import.meta.url), JSON.stringify({ machine, figures }, null, 2) + '\n')
console.log(`\nwrote bench/results.json (${machine.cpus} CPUs, ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node})`)
