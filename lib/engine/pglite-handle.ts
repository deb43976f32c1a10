/**
 * The part of a PGlite instance the engine uses, written out here so that PGlite's own types
 * never reach our declaration files: PGlite is an optional peer, loaded only for `pglite://`,
 * and its `.d.ts` fail an app's strict build (`skipLibCheck: false`). PGlite's own class
 * satisfies it (checked where one is created, in open-pglite.ts).
 */
export interface PGliteHandle {
  /** `true` once closed. */
  readonly closed: boolean
  close: () => Promise<void>
  /** Runs `fn` while no other query or transaction of this instance runs. */
  runExclusive: <T>(fn: () => Promise<T>) => Promise<T>
  /** Feeds raw wire-protocol bytes to the session; the answer arrives through `onRawData`. */
  execProtocolRawStream: (message: Uint8Array, options: { onRawData: (chunk: Uint8Array) => void }) => Promise<void>
  /** A tarball of the data directory. */
  dumpDataDir: (compression?: 'none' | 'gzip' | 'auto') => Promise<Blob>
  /** A plain query on the session, for tests and tools. */
  query: (sql: string, params?: unknown[]) => Promise<{ rows: unknown[] }>
}
