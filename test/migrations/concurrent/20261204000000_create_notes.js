// Test-only: an ordinary (transactional) migration the next one builds on.
export async function up ({ context }) {
  await context.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)')
}

export async function down ({ context }) {
  await context.query('DROP TABLE notes')
}
