import { main, type CliIo } from '../../lib/cli/main.js'

/** What one `coach-db` run printed and returned. */
export interface CliRun { code: number, out: string, err: string }

/** Runs `coach-db <args>` in-process with its own output and environment. */
export async function runCli (args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: line => { out.push(line) }, err: line => { err.push(line) }, env }
  const code = await main(args, io)
  return { code, out: out.join('\n'), err: err.join('\n') }
}
