// Test-only: holds the migration lock long enough for other processes to meet it.
export async function up ({ context }) {
  await context.query('CREATE TABLE slow_table (id int)')
  await context.query(`SELECT pg_sleep(${Number(process.env.SLOW_MIGRATION_SECONDS ?? 1.5)})`)
}

export async function down ({ context }) {
  await context.query('DROP TABLE slow_table')
}
