import { runBatch } from './helpers/shared-runner.js'

runBatch(2, 3, 3)
