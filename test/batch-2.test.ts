import { runBatch } from './helpers/shared-runner.js'

runBatch(1, 3, 3)
