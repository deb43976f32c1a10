// The parts of autocannon's result the benchmarks read (the package ships no types).
declare module 'autocannon' {
  interface Histogram { p50: number, p99: number, average: number }
  interface Result { latency: Histogram, requests: Histogram & { total: number }, errors: number, non2xx: number, timeouts: number }
  interface Options { url: string, connections?: number, duration?: number, amount?: number, pipelining?: number }
  function autocannon (options: Options): Promise<Result>
  export default autocannon
}
