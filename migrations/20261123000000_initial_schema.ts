import type { MigrationFn } from '../lib/migrator/types.js'

// The schema contract (../shared/schema.md) in SQL. Written by hand rather than through
// queryInterface so every constraint and index carries exactly the contract's name.
const UP = [
  'CREATE EXTENSION IF NOT EXISTS vector',
  `CREATE TABLE users (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    email varchar(255) NOT NULL,
    name varchar(255) NOT NULL,
    role varchar(20) NOT NULL,
    organization_id uuid,
    sso_provider varchar(50),
    sso_id varchar(255),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login timestamptz,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT uq_users_email UNIQUE (email),
    CONSTRAINT check_user_role CHECK (role IN ('educator', 'coach', 'admin'))
  )`,
  'CREATE INDEX idx_users_email ON users (email)',
  `CREATE TABLE sessions (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_accessed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sessions_pkey PRIMARY KEY (id),
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
  )`,
  'CREATE INDEX idx_sessions_user_id ON sessions (user_id)',
  'CREATE INDEX idx_sessions_expires_at ON sessions (expires_at)',
  `CREATE TABLE conversations (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    title varchar(255),
    status varchar(20) NOT NULL DEFAULT 'active',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    share_token varchar(64),
    share_enabled boolean NOT NULL DEFAULT false,
    CONSTRAINT conversations_pkey PRIMARY KEY (id),
    CONSTRAINT conversations_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT check_conversation_status CHECK (status IN ('active', 'archived'))
  )`,
  'CREATE UNIQUE INDEX idx_conversations_share_token ON conversations (share_token)',
  'CREATE INDEX idx_conversations_user ON conversations (user_id)',
  `CREATE TABLE messages (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    conversation_id uuid NOT NULL,
    role varchar(20) NOT NULL,
    content text NOT NULL,
    citations jsonb,
    domains text[],
    feedback_score smallint,
    input_tokens integer,
    output_tokens integer,
    cost_usd numeric(12, 6),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT messages_pkey PRIMARY KEY (id),
    CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE,
    CONSTRAINT check_message_role CHECK (role IN ('user', 'assistant', 'system')),
    CONSTRAINT check_message_feedback CHECK (feedback_score IN (-1, 1)),
    CONSTRAINT check_message_tokens CHECK (input_tokens >= 0 AND output_tokens >= 0)
  )`,
  'CREATE INDEX idx_messages_conversation ON messages (conversation_id, created_at)'
]

// Children first. The vector extension stays: other schemas may use it.
const DOWN = [
  'DROP TABLE IF EXISTS messages',
  'DROP TABLE IF EXISTS conversations',
  'DROP TABLE IF EXISTS sessions',
  'DROP TABLE IF EXISTS users'
]

export const up: MigrationFn = async ({ context }) => {
  for (const sql of UP) await context.query(sql)
}

export const down: MigrationFn = async ({ context }) => {
  for (const sql of DOWN) await context.query(sql)
}
