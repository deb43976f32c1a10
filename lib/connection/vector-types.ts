import pgvector from 'pgvector/sequelize'
import { Sequelize as BaseSequelize } from 'sequelize'

let registered = false

/**
 * Adds `DataTypes.VECTOR` (and halfvec/sparsevec) to Sequelize. Must run before any model is
 * defined; it patches Sequelize's shared DataTypes, so it runs once per process.
 */
export function registerVectorTypes (): void {
  if (registered) return
  pgvector.registerTypes(BaseSequelize)
  registered = true
}
