/** Median of a list of numbers. */
export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Runs `fn` `runs` times (after `warmup` unrecorded runs) and returns each run's milliseconds. */
export async function timeRuns (runs: number, fn: () => Promise<void>, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await fn()
    times.push(performance.now() - started)
  }
  return times
}

/** One figure of the report: a value, its unit, and (when it has one) its baseline and target. */
export interface Figure {
  section: string
  name: string
  value: number
  unit: string
  baseline?: { name: string, value: number }
  /** Ratio value / baseline (for throughput: baseline / value is not used; the ratio is as measured). */
  ratio?: number
  target?: string
  met?: boolean
}

/** Prints figures as an aligned table. */
export function printTable (figures: Figure[]): void {
  const rows = figures.map(f => [
    f.section,
    f.name,
    `${round(f.value)} ${f.unit}`,
    f.baseline ? `${round(f.baseline.value)} ${f.unit} (${f.baseline.name})` : '',
    f.ratio !== undefined ? `${f.ratio.toFixed(2)}×` : '',
    f.target ?? '',
    f.met === undefined ? '' : f.met ? 'met' : 'MISSED'
  ])
  const header = ['section', 'figure', 'value', 'baseline', 'ratio', 'target', '']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] as string).length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd()
  console.log(line(header))
  console.log(widths.map(w => '-'.repeat(w)).join('  '))
  for (const row of rows) console.log(line(row))
}

function round (value: number): string {
  if (value >= 100) return value.toFixed(0)
  if (value >= 10) return value.toFixed(1)
  return value.toFixed(2)
}
