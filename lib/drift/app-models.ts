import { delimiter, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Model, type Sequelize } from 'sequelize-typescript'
import { OptionsError } from '../errors.js'

/**
 * Adds an app's own models to `sequelize` so `coach-db check` and `create --autogenerate` see
 * them: COACH_DB_MODELS names one module, or several separated by `:` (`;` on Windows); every
 * exported sequelize-typescript model class is added (repository mode copies it).
 */
export async function addAppModels (sequelize: Sequelize, modules: string): Promise<void> {
  for (const file of modules.split(delimiter).filter(entry => entry.trim() !== '')) {
    let exported: Record<string, unknown>
    try {
      exported = await import(pathToFileURL(resolve(file)).href) as Record<string, unknown>
    } catch (err) {
      throw new OptionsError(`COACH_DB_MODELS: could not load ${file}; give a path to a module that exports model classes.`, { cause: err })
    }
    const models = Object.values(exported).filter((value): value is typeof Model => typeof value === 'function' && value.prototype instanceof Model)
    if (models.length === 0) throw new OptionsError(`COACH_DB_MODELS: ${file} exports no sequelize-typescript model class.`)
    const missing = models.filter(model => !sequelize.isDefined(model.name))
    if (missing.length > 0) sequelize.addModels(missing as Array<typeof Model & (new () => Model)>)
  }
}
