// Test-only: creates a table, then fails. Nothing of it may remain afterwards.
export async function up ({ context }) {
  await context.query('CREATE TABLE half_done (id int)')
  await context.query('INSERT INTO half_done VALUES (1)')
  await context.query('SELECT * FROM table_that_does_not_exist')
}

export async function down ({ context }) {
  await context.query('DROP TABLE half_done')
}
