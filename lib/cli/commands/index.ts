import type { CliCommand } from '../types.js'
import { up } from './up.js'
import { down } from './down.js'
import { status } from './status.js'
import { plan } from './plan.js'
import { create } from './create.js'
import { seed } from './seed.js'
import { check } from './check.js'

/** Every `coach-db` command, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [up, down, status, plan, create, check, seed]
