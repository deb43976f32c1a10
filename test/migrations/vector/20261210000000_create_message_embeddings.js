// An app migration (docs/vector.md): one embedding per message, gone with its message.
export async function up ({ context }) {
  await context.query(`CREATE TABLE message_embeddings (
    message_id uuid NOT NULL PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    embedding vector(3) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`)
}

export async function down ({ context }) {
  await context.query('DROP TABLE message_embeddings')
}
