/** A Fastify `logger` option that keeps every line, for asserting on what was logged. */
export function captureLogs (level = 'debug'): { logger: { level: string, stream: { write: (line: string) => void } }, lines: string[], text: () => string } {
  const lines: string[] = []
  return {
    logger: { level, stream: { write: (line: string) => { lines.push(line) } } },
    lines,
    text: () => lines.join('')
  }
}
