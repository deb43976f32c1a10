import { fileTest } from './helpers/file-test.js'
import { Op, Sequelize, type WhereOptions } from 'sequelize'
import { isolateEachTest, loadFixtures, type MessageLabel } from '../lib/testing/index.js'
import { jsonbPath } from '../lib/index.js'
import { buildApp, freshDatabase } from './helpers/app.js'

const t = fileTest()

// JSONB queries on messages.citations through the models, each checked against the labels the
// fixture data says must match (fixtures/messages.ts).

const database = await freshDatabase(t)
const app = await buildApp(t, { connectionString: database.url })
const fx = await loadFixtures(app.db)
isolateEachTest(t, app.db)
const { Message, User } = app.db.models
const { sequelize } = app.db

const labelOf = new Map(Object.entries(fx.messages).map(([label, row]) => [row.id, label]))

/** Labels of the messages `where` selects, sorted. */
async function labels (where: WhereOptions): Promise<string[]> {
  const rows = await Message.findAll({ attributes: ['id'], where, raw: true }) as unknown as Array<{ id: string }>
  return rows.map(r => labelOf.get(r.id) ?? `unlabelled ${r.id}`).sort()
}

function sorted (list: MessageLabel[]): string[] {
  return [...list].sort()
}

t.test('containment: citations @> {...}', async t => {
  t.same(await labels({ citations: { [Op.contains]: { sources: [{ metadata: { kind: 'video' } }] } } }), sorted(['algebra_answer', 'observation_answer']), 'a source with nested metadata.kind = video')
  t.same(await labels({ citations: { [Op.contains]: { reviewer: { flags: ['verified'] } } } }), ['observation_answer'], 'a nested array element')
  t.same(await labels({ citations: { [Op.contains]: { sources: [] } } }), await labels({ citations: { sources: { [Op.ne]: null } } }), 'every document with a sources array contains the empty array')
})

t.test('path values: confidence > 0.9', async t => {
  const expected = sorted(['algebra_answer', 'observation_answer', 'reading_answer'])
  t.same(await labels({ citations: { confidence: { [Op.gt]: 0.9 } } }), expected, 'Sequelize nested-key syntax')
  t.same(await labels(sequelize.where(jsonbPath('citations', ['confidence'], 'numeric'), Op.gt, 0.9)), expected, 'jsonbPath helper')
  t.same(await labels(sequelize.where(jsonbPath('citations', ['sources', 0, 'relevance'], 'numeric'), Op.gte, 0.95)), sorted(['algebra_answer', 'reading_answer']), 'an array element\'s field')
  t.same(await labels(sequelize.where(jsonbPath('citations', ['sources', 0, 'metadata', 'author', 'name'], 'text'), Op.eq, 'Louisa Moats')), ['reading_answer'], 'deeply nested metadata')
})

t.test('array length of sources', async t => {
  const length = Sequelize.fn('jsonb_array_length', jsonbPath('citations', ['sources']))
  t.same(await labels(sequelize.where(length, Op.gte, 3)), sorted(['algebra_answer', 'reading_answer']), 'three or more sources')
  t.same(await labels(sequelize.where(length, Op.eq, 0)), ['conference_answer'], 'an empty sources array')
  t.same(await labels({ [Op.and]: [{ citations: { [Op.ne]: null } }, sequelize.where(jsonbPath('citations', ['sources']), Op.is, null)] }), ['audit_answer'], 'citations without a sources key')
})

t.test('sources whose url matches', async t => {
  // The prefix is a jsonpath variable bound from an escaped SQL string, never part of the path text.
  const citesSite = (prefix: string): WhereOptions => Sequelize.literal(
    `jsonb_path_exists("citations", '$.sources[*] ? (@.url starts with $prefix)', jsonb_build_object('prefix', ${sequelize.escape(prefix)}::text))`)
  t.same(await labels(citesSite('https://www.khanacademy.org/')), sorted(['algebra_answer', 'algebra_hands_on', 'observation_answer', 'reading_answer']))
  t.same(await labels(citesSite('https://www.readingrockets.org/')), ['reading_answer'])
  t.same(await labels(citesSite('"); DROP TABLE users; --')), [], 'a hostile prefix matches nothing')
})

t.test('messages without citations', async t => {
  const planningQuestions = Array.from({ length: 20 }, (_, i) => `planning_${2 * i + 1}` as MessageLabel)
  const expected = sorted(['algebra_system', 'algebra_question', 'algebra_followup', 'conference_question', 'rubric_question', 'reading_question', 'archived_question', 'archived_answer', 'observation_system', 'observation_question', 'audit_question', ...planningQuestions])
  t.same(await labels({ citations: null }), expected, 'SQL NULL only: an empty sources array is a citation')
  t.same(await labels({ citations: null, role: 'assistant' }), ['archived_answer'], 'the one uncited answer')
})

t.test('jsonbPath treats user-supplied keys as data', async t => {
  const hostile = ["a'); DROP TABLE users; --", "'", '"', '\\', '{a,b}', '$.sources', "x' OR '1'='1", 'a\'); SELECT pg_sleep(5); --']
  for (const key of hostile) {
    const rows = await Message.findAll({
      attributes: ['id', [jsonbPath('citations', [key], 'text'), 'picked']],
      where: sequelize.where(jsonbPath('citations', [key], 'text'), Op.eq, 'x'),
      order: [[jsonbPath('citations', [key]), 'ASC']]
    })
    t.same(rows, [], `no document has the key ${JSON.stringify(key)}, and no error`)
  }
  t.equal(await User.count(), 5, 'the users table is intact')

  // The same key does match when a document really has it.
  const key = "a'); DROP TABLE users; --"
  await Message.update({ citations: { [key]: 'found', $price: { 'a b': 'dollar' }, confidence: 0.1 } }, { where: { id: fx.messages.audit_answer.id } })
  t.same(await labels(sequelize.where(jsonbPath('citations', [key], 'text'), Op.eq, 'found')), ['audit_answer'])
  t.same(await labels(sequelize.where(jsonbPath('citations', ['$price', 'a b'], 'text'), Op.eq, 'dollar')), ['audit_answer'], 'keys with $ and spaces are matched exactly')
  const [[table]] = await sequelize.query("SELECT to_regclass('users')::text AS name") as [Array<{ name: string }>, unknown]
  t.equal(table?.name, 'users')
})

t.test('jsonbPath rejects paths it cannot express', async t => {
  t.throws(() => jsonbPath('citations', []), { code: 'ERR_COACH_DB_JSONB_PATH' })
  t.throws(() => jsonbPath('citations', [-1]), { code: 'ERR_COACH_DB_JSONB_PATH' })
  t.throws(() => jsonbPath('citations', [1.5]), { code: 'ERR_COACH_DB_JSONB_PATH' })
  t.throws(() => jsonbPath('citations', [{} as string]), { code: 'ERR_COACH_DB_JSONB_PATH' })
  t.throws(() => jsonbPath('citations', ['a'], 'xml' as 'text'), { code: 'ERR_COACH_DB_JSONB_PATH' })
})
