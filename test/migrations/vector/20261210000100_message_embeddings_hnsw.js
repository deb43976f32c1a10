// CREATE INDEX CONCURRENTLY is refused inside a transaction: this migration opts out of one.
// It does not block writes to message_embeddings while the index builds.
export const transaction = false

export async function up ({ context }) {
  await context.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_message_embeddings_hnsw ON message_embeddings USING hnsw (embedding vector_cosine_ops)')
}

export async function down ({ context }) {
  await context.query('DROP INDEX CONCURRENTLY IF EXISTS idx_message_embeddings_hnsw')
}
