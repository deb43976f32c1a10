// The parts of autocannon's result the benchmarks read (the package ships no types).
declare module 'autocannon' {
  interface Histogram { p50: number, p99: number, average: number }
  interface Result { latency: Histogram, requests: Histogram & { total: number }, errors: number, non2xx: number, timeouts: number }
  interface Request { method?: string, path?: string, headers?: Record<string, string>, body?: string }
  interface Options { url: string, connections?: number, duration?: number, amount?: number, pipelining?: number, requests?: Array<Request & { setupRequest?: (request: Request) => Request }> }
  function autocannon (options: Options): Promise<Result>
  export default autocannon
}
