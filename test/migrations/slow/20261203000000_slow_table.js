// Test-only: holds the migration lock for as long as a test keeps the gate closed (an advisory lock
// on the two-int key (2026, 1203), see test/migration-lock.test.ts), so other processes meet it
// however slow the machine is. With no gate held it runs at once.
export async function up ({ context }) {
  await context.query('CREATE TABLE slow_table (id int)')
  await context.query('SELECT pg_advisory_xact_lock_shared(2026, 1203)')
}

export async function down ({ context }) {
  await context.query('DROP TABLE slow_table')
}
