import { parseArgs } from 'node:util'
import { CoachDbError } from '../errors.js'
import { openCliDatabase } from './database.js'
import { COMMANDS } from './commands/index.js'
import { EXIT, type CliCommand, type CliContext } from './types.js'

/** Streams and environment the CLI runs with; tests pass their own. */
export interface CliIo {
  out: (line: string) => void
  err: (line: string) => void
  env: NodeJS.ProcessEnv
}

/** The process's own streams. A reader that goes away (`coach-db plan | head`) is not an error. */
function processIo (): CliIo {
  return { out: pipeSafe(process.stdout), err: pipeSafe(process.stderr), env: process.env }
}

// After EPIPE the output is dropped, not the command: an `up` whose reader left still finishes
// its migration (stopping half-way through a non-transactional one would be worse), then exits
// with its own code and no stack trace.
function pipeSafe (stream: NodeJS.WriteStream): (line: string) => void {
  let closed = false
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    closed = true
  })
  return line => { if (!closed) stream.write(`${line}\n`) }
}

/** Runs `coach-db` with `argv` (without node and script); resolves to the exit code. */
export async function main (argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(generalHelp())
    return name === undefined ? EXIT.USAGE : EXIT.OK
  }
  const command = COMMANDS.find(c => c.name === name)
  if (command === undefined) {
    io.err(`coach-db: unknown command "${name}". Run "coach-db --help" for the list.`)
    return EXIT.USAGE
  }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
  } catch (err) {
    io.err(`coach-db ${name}: ${(err as Error).message}. Usage: ${command.usage}`)
    return EXIT.USAGE
  }
  if (parsed.values.help === true) {
    io.out(commandHelp(command))
    return EXIT.OK
  }
  const ctx: CliContext = {
    values: parsed.values as CliContext['values'],
    positionals: parsed.positionals,
    out: io.out,
    err: io.err,
    env: io.env,
    openDatabase: async (flags) => await openCliDatabase(io.env, flags)
  }
  try {
    return await command.run(ctx)
  } catch (err) {
    io.err(`coach-db ${name}: ${oneLine(err)}`)
    return EXIT.FAILED
  }
}

function oneLine (err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  const code = err instanceof CoachDbError ? ` [${err.code}]` : ''
  return `${message.replace(/\s*\n\s*/g, ' ')}${code}`
}

function generalHelp (): string {
  const width = Math.max(...COMMANDS.map(c => c.name.length))
  return [
    'Usage: coach-db <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'The database comes from DATABASE_URL (or DB_SECRET_NAME + AWS_REGION for AWS Secrets Manager).',
    'Run "coach-db <command> --help" for a command\'s options.',
    'Exit codes: 0 success, 1 failure, 2 bad usage.'
  ].join('\n')
}

function commandHelp (command: CliCommand): string {
  return [`Usage: ${command.usage}`, '', command.summary, '', command.help].join('\n')
}
