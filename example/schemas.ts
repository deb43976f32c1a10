import { CONVERSATION_STATUSES, MESSAGE_ROLES } from '../lib/index.js'

// JSON schemas for the routes. Fastify validates input with them (bad input → 400 before any
// query runs) and compiles the response schemas into fast serializers that also drop any field
// not listed, so nothing leaks by accident.

/** `{ id }` path parameter: a UUID, or 400. */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } }
} as const

/** The error body every route answers with for 4xx and 5xx. */
export const errorBody = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    code: { type: 'string' },
    message: { type: 'string' }
  }
} as const

const timestamp = { type: 'string', format: 'date-time' } as const

/** A citations document: kept as it is (JSONB). */
const citations = { type: ['object', 'null'], additionalProperties: true } as const

/** One conversation in a user's list. */
export const conversationSummary = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    title: { type: ['string', 'null'] },
    status: { type: 'string', enum: [...CONVERSATION_STATUSES] },
    shareEnabled: { type: 'boolean' },
    createdAt: timestamp,
    updatedAt: timestamp
  }
} as const

/** One message as the API returns it. */
export const messageBody = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    role: { type: 'string' },
    content: { type: 'string' },
    citations,
    domains: { type: ['array', 'null'], items: { type: 'string' } },
    feedbackScore: { type: ['integer', 'null'] },
    createdAt: timestamp
  }
} as const

/** Query of the message list: page size and the cursor. */
export const messagePageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    // Opaque: the previous page's nextCursor. Its shape is checked by Message.recent (400 if forged).
    cursor: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'The previous page\'s nextCursor, as it is.' }
  }
} as const

/** A page of messages, newest first, and the cursor of the next (older) page (null on the last page). */
export const messagePage = {
  type: 'object',
  properties: {
    messages: { type: 'array', items: messageBody },
    nextCursor: { type: ['string', 'null'] }
  }
} as const

/** Body of POST /conversations/:id/messages. */
export const newMessage = {
  type: 'object',
  required: ['role', 'content'],
  additionalProperties: false,
  properties: {
    role: { type: 'string', enum: [...MESSAGE_ROLES] },
    content: { type: 'string', minLength: 1, maxLength: 100_000 },
    citations,
    domains: { type: ['array', 'null'], items: { type: 'string', maxLength: 100 }, maxItems: 50 },
    feedbackScore: { type: ['integer', 'null'], enum: [-1, 1, null] },
    inputTokens: { type: ['integer', 'null'], minimum: 0 },
    outputTokens: { type: ['integer', 'null'], minimum: 0 }
  }
} as const

/** A share token as issued: letters, digits, `_` and `-`, at most 64 (the column's size). */
export const tokenParams = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } }
} as const
