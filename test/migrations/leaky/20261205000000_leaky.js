// Test-only: its second statement forgets the migration's transaction, so "plan" must refuse it.
export async function up ({ context }) {
  await context.query('CREATE TABLE leaky_inside (id int)')
  await context.sequelize.query('CREATE TABLE leaky_outside (id int)')
}

export async function down ({ context }) {
  await context.query('DROP TABLE IF EXISTS leaky_outside')
  await context.query('DROP TABLE leaky_inside')
}
