// Test-only: CREATE INDEX CONCURRENTLY is refused inside a transaction, so this migration opts out.
export const transaction = false

export async function up ({ context }) {
  await context.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notes_body ON notes (body)')
}

export async function down ({ context }) {
  await context.query('DROP INDEX CONCURRENTLY IF EXISTS idx_notes_body')
}
