import { runBatch } from './helpers/shared-runner.js'

runBatch(0, 3, 3)
