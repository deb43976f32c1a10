// Prints the output the README shows for its feature sections, by running the README's snippets
// against PostgreSQL (a fresh database each, from createTestDatabase, dropped at the end):
//   npx tsx example/readme-output.ts transactions|health|sessions|vector|factories
// Paste what it prints; never edit the output by hand.
import 'reflect-metadata'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { inspect } from 'node:util'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { Column, DataType, Model, Table } from 'sequelize-typescript'
import coachDb, { DEFAULT_MIGRATIONS_DIR, Migrator, nearest, VECTOR, type CoachDbOptions } from '../lib/index.js'
import { createFactories, createTestDatabase, type TestDatabase } from '../lib/testing/index.js'

/** docs/vector.md's model of `message_embeddings` (its migrations: test/migrations/vector). */
@Table({ tableName: 'message_embeddings', modelName: 'MessageEmbedding', underscored: true, timestamps: true, createdAt: 'created_at', updatedAt: false })
class MessageEmbedding extends Model<{ messageId: string, embedding: number[], created_at: Date }, { messageId: string, embedding: number[] }> {
  @Column({ type: DataType.UUID, primaryKey: true, allowNull: false })
  declare messageId: string

  @Column({ type: VECTOR(3), allowNull: false })
  declare embedding: number[]

  declare created_at: Date
}

/** Prints like console.log (test/readme-output.test.ts passes its own to compare with the README). */
export type Print = (...values: unknown[]) => void
type Section = (database: TestDatabase, print: Print) => Promise<void>

async function appOn (database: TestDatabase, options: Omit<CoachDbOptions, 'connectionString'> = {}, logger: FastifyServerOptions['logger'] = false): Promise<FastifyInstance> {
  const app = Fastify({ logger })
  await app.register(coachDb, { connectionString: database.url, ...options })
  return app
}

export const sections: Record<string, { migrated?: boolean, run: Section }> = {
  // README "Request-scoped transactions"
  transactions: {
    run: async (database, print) => {
      const app = await appOn(database)
      const { User, Session } = app.db.models
      app.post<{ Body: { email: string, name: string, fail?: boolean } }>('/signup', { config: { transaction: true } }, async (request, reply) => {
        const user = await User.create({ email: request.body.email, name: request.body.name, role: 'coach' })
        await Session.create({ userId: user.id, expiresAt: new Date(Date.now() + 3_600_000) })
        if (request.body.fail === true) throw new Error('welcome mail failed')
        return await reply.code(201).send({ id: user.id })
      })
      await app.ready()
      for (const payload of [{ email: 'ana@example.com', name: 'Ana' }, { email: 'ben@example.com', name: 'Ben', fail: true }]) {
        const res = await app.inject({ method: 'POST', url: '/signup', payload })
        print(`POST /signup ${JSON.stringify(payload)} -> ${res.statusCode}`)
      }
      print('users:', (await User.findAll({ raw: true })).map(u => u.email), 'sessions:', await Session.count())
      await app.close()
    }
  },
  // README "Health"
  health: {
    migrated: false,
    run: async (database, print) => {
      // A generous bound: the suite runs this on a busy machine, where 2 s (the default) can pass
      // and print "no answer" instead of what the README shows; the output does not show it.
      const app = await appOn(database, { healthRoutes: true, healthTimeoutMs: 15_000 })
      await app.ready()
      const show = async (url: string): Promise<void> => {
        const res = await app.inject(url)
        print(`GET ${url} -> ${res.statusCode} ${res.body}`)
      }
      await show('/health/live')
      await show('/health/ready')
      await new Migrator(app.db.sequelize).up()
      await show('/health/ready')
      print('> await app.db.health()')
      print(inspect(await app.db.health(), { depth: 3 }))
      await app.close()
    }
  },
  // README "Expired sessions"
  sessions: {
    run: async (database, print) => {
      // Fastify's logger, its lines printed when they come from the cleanup (not the connect line).
      const stream = { write: (line: string) => { if (line.includes('session cleanup') || line.includes('expired session')) print(line.trimEnd()) } }
      const app = await appOn(database, { sessionCleanup: { intervalMs: 200, batchSize: 1000 } }, { level: 'info', base: null, timestamp: false, stream })
      const { Session } = app.db.models
      const factories = createFactories(app.db.models)
      const user = await factories.user.create()
      const expired = async (n: number): Promise<void> => {
        await Session.bulkCreate(Array.from({ length: n }, () => factories.session.expired().build({ userId: user.id })))
      }
      await expired(2500)
      await factories.session.createList(3, { userId: user.id })
      print('> await Session.purgeExpired({ batchSize: 1000 })')
      print(await Session.purgeExpired({ batchSize: 1000 }))
      await expired(2500)
      await app.ready()
      // Wait for the background run to leave the 3 valid sessions only; close waits for its log line.
      while (await Session.count() > 3) await new Promise(resolve => setTimeout(resolve, 100))
      await app.close()
    }
  },
  // README "Vector search"
  vector: {
    run: async (database, print) => {
      const app = await appOn(database, { migrate: true, migrationsDir: [DEFAULT_MIGRATIONS_DIR, fileURLToPath(new URL('../test/migrations/vector', import.meta.url))] })
      await app.ready()
      app.db.sequelize.addModels([MessageEmbedding])
      const Embedding = app.db.sequelize.model('MessageEmbedding') as typeof MessageEmbedding
      const factories = createFactories(app.db.models)
      const conversation = await factories.conversation.create()
      const points: Record<string, number[]> = { east: [1, 0, 0], north: [0, 1, 0], northeast: [1, 1, 0], far_east: [10, 0, 2] }
      const names: Record<string, string> = {}
      for (const [content, embedding] of Object.entries(points)) {
        const message = await factories.message.create({ conversationId: conversation.id, content })
        names[message.id] = content
        await Embedding.create({ messageId: message.id, embedding })
      }
      print("> await nearest(Embedding, { column: 'embedding', to: [1, 0.1, 0], k: 3 })")
      const rows = await nearest(Embedding, { column: 'embedding', to: [1, 0.1, 0], k: 3 })
      print(rows.map(row => ({ message: names[row.messageId], distance: row.distance })))
      print("> await nearest(Embedding, { column: 'embedding', to: [1, 0.1, 0], k: 3, distance: 'l2' })")
      const l2 = await nearest(Embedding, { column: 'embedding', to: [1, 0.1, 0], k: 3, distance: 'l2' })
      print(l2.map(row => ({ message: names[row.messageId], distance: row.distance })))
      await app.close()
    }
  },
  // README "Testing your app" → Factories
  factories: {
    run: async (database, print) => {
      const app = await appOn(database)
      await app.ready()
      const factories = createFactories(app.db.models)
      const { User, Conversation, Message } = app.db.models
      print('> factories.user.build()')
      print(factories.user.build())
      const answer = await factories.message.assistant().create()
      print('> await factories.message.assistant().create()  // made its conversation and user')
      print(inspect({ role: answer.role, citations: answer.citations, costUsd: answer.costUsd }, { depth: 4 }))
      const shared = await factories.conversation.shared().createList(2)
      print('> (await factories.conversation.shared().createList(2)).map(c => c.shareToken)')
      print(shared.map(c => c.shareToken))
      print('users, conversations, messages:', await User.count(), await Conversation.count(), await Message.count())
      await app.close()
    }
  }
}

/** Runs one section on a fresh database of its own (dropped after), printing through `print`. */
export async function printSection (name: string, print: Print = console.log): Promise<void> {
  const section = sections[name]
  if (section === undefined) throw new Error(`usage: tsx example/readme-output.ts ${Object.keys(sections).join('|')}`)
  const database = await createTestDatabase({ migrated: section.migrated ?? true })
  try {
    await section.run(database, print)
  } finally {
    await database.drop()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await printSection(process.argv[2] ?? '')
}
