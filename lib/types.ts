import type { Sequelize } from 'sequelize-typescript'

// The options layer: the plugin's options and their sub-objects. It imports nothing from lib/, so
// every later layer (credentials, connection, migrator, plugin) can use these types without a
// circle. What the plugin decorates Fastify with (`app.db`) is in decoration.ts.

/** What to do when another process holds the migration lock. */
export type MigrationLockMode = 'wait' | 'skip' | 'fail'

/** The `healthRoutes` option, resolved. */
export interface HealthRoutesOptions {
  /** Path prefix of the two routes. Default `/health` (`/health/live`, `/health/ready`). */
  prefix?: string
}

/** Option `sessionCleanup`: delete expired sessions in the background. */
export interface SessionCleanupOptions {
  /** Time between the end of one run and the start of the next, in ms. Default 60000. */
  intervalMs?: number
  /** Sessions deleted per statement. Default 1000. */
  batchSize?: number
  /** Most batches in one run, so a huge backlog is worked off over several runs. Default 1000. */
  maxBatchesPerRun?: number
}

/** Connection pool settings, passed to Sequelize's pool. */
export interface PoolOptions {
  /** Most connections open at once. Default 20. */
  max?: number
  /** Connections kept open when idle. Default 0. */
  min?: number
  /** Longest wait for a free connection, in ms, before a query fails. Default 30000. */
  acquire?: number
  /** How long a connection may sit idle before it is closed, in ms. Default 10000. */
  idle?: number
}

/** Retries while the database is not up yet (container start, failover). */
export interface ConnectRetryOptions {
  /** Connection attempts in total, including the first. Default 5. */
  attempts?: number
  /** Wait before the second attempt, in ms; doubles after each failure. Default 250. */
  initialDelayMs?: number
  /** Upper bound of one wait, in ms. Default 2000. */
  maxDelayMs?: number
}

/**
 * The RDS endpoint an IAM token is signed for, when the connection string names another host: a
 * tunnel or port forward to RDS (bastion host, SSM session) listens on `localhost`, but RDS only
 * accepts a token signed for its own endpoint. Defaults: the host and port of the connection.
 */
export interface IamAuthOptions {
  /** Endpoint host name the token is signed for, e.g. `mydb.abc123.eu-west-1.rds.amazonaws.com`. */
  hostname?: string
  /** Endpoint port the token is signed for. */
  port?: number
}

/** Options of the plugin. Exactly one connection source is used; see the README for the order. */
export interface CoachDbOptions {
  /** `postgres://user:password@host:5432/database`. Falls back to env `DATABASE_URL`. */
  connectionString?: string
  /**
   * An existing sequelize-typescript `Sequelize` to use instead of opening a connection. The plugin
   * adds the models to it and never closes it: its owner does.
   */
  sequelize?: Sequelize
  /** AWS Secrets Manager secret (name or ARN) holding RDS-style JSON credentials. Env: `DB_SECRET_NAME` / `DB_SECRET_ARN`. */
  secretId?: string
  /** AWS region of the secret. Env: `AWS_REGION`. */
  region?: string
  /** Secrets Manager endpoint URL (tests, VPC endpoints). Env: `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  endpoint?: string
  /** How long a fetched secret is trusted before it is fetched again, in ms. Default 300000 (5 min). */
  secretTtlMs?: number
  /** Pool settings. */
  pool?: PoolOptions
  /**
   * A direct (not pooled) `postgres://` URL to the primary, used for migrations and the migration
   * lock when `connectionString` goes through RDS Proxy or PgBouncer (like Prisma's `directUrl`).
   * Env: `DIRECT_DATABASE_URL`. With a secret, its `directHost` / `directPort` fields do the same.
   */
  directUrl?: string
  /**
   * `'transaction'` when the pool's URL is a transaction-mode pooler (PgBouncer
   * `pool_mode = transaction`, RDS Proxy): no session state is set per connection (no startup
   * `statement_timeout`, no `SET TIME ZONE` / `client_min_messages`), and `migrate: true` needs
   * `directUrl`. `'none'` for a direct connection. Default: `'transaction'` for RDS Proxy hosts
   * (`*.proxy-*.rds.amazonaws.com`), else `'none'`. Env: `DB_POOLER`.
   */
  pooler?: 'transaction' | 'none'
  /**
   * Read replicas: `postgres://` URLs (only host and port are used; user, password, database and
   * TLS are the primary's) or `host[:port]`. SELECTs outside a transaction (model reads,
   * `Message.recent`) go to them round-robin; writes, transactions (request-scoped too), the
   * migration lock and migrations go to the primary. Pass `useMaster: true` to a read that must
   * see its own write. Env: `DATABASE_REPLICA_URLS` (comma-separated); secret field
   * `readReplicaHosts` (array or comma-separated `host[:port]`).
   */
  readReplicas?: readonly string[]
  /**
   * RDS IAM database authentication instead of the password: each new connection logs in with a
   * fresh token from `@aws-sdk/rds-signer` (region from `region` / the AWS chain, credentials from
   * the standard chain). Requires TLS. Env: `DB_IAM_AUTH=true`. Default `false`. Pass
   * `{ hostname, port }` when the socket reaches the database under another name than the token
   * must be signed for (see {@link IamAuthOptions}).
   */
  iamAuth?: boolean | IamAuthOptions
  /** Apply pending migrations during startup. Default `false`; env `DB_MIGRATE=true` turns it on. */
  migrate?: boolean
  /** Connection retries at startup; `false` tries once. */
  connectRetry?: ConnectRetryOptions | false
  /** Longest wait for one connection attempt (TCP, TLS, authentication), in ms. Default 5000. */
  connectTimeoutMs?: number
  /** Folder of migration files. Defaults to the package's own `migrations/`. */
  migrationsDir?: string | readonly string[]
  /** Server-side `statement_timeout` for every connection, in ms. Default: none. */
  statementTimeoutMs?: number
  /**
   * Client-side bound of one query, in ms, for a server that stops answering (failover, network
   * partition): the query fails with `QueryTimeoutError` and its connection is dropped. `0` for
   * none. Default: `statementTimeoutMs + 5000`, or none when `statementTimeoutMs` is not set.
   */
  queryTimeoutMs?: number
  /**
   * When another replica is migrating: `wait` for it (default), `skip` migrating and start, or
   * `fail`. `false` takes no lock: needed behind a transaction-mode pooler (PgBouncer), which
   * cannot hold the session-level advisory lock.
   */
  migrationLock?: MigrationLockMode | false
  /** Longest wait for the migration lock, in ms. Default 120000. */
  lockTimeout?: number
  /** Start even when an applied migration's file changed since it ran. Default `false`. */
  acceptEditedMigrations?: boolean
  /**
   * Register `GET /health/live` (the process answers) and `GET /health/ready` (`app.db.health()`:
   * 200 when ready, 503 with the reasons while migrations are pending or the database is
   * unreachable). `true` or `{ prefix }`. Default `false`.
   */
  healthRoutes?: boolean | HealthRoutesOptions
  /** Longest one `app.db.health()` check may take, in ms. Default 2000. */
  healthTimeoutMs?: number
  /**
   * Delete expired sessions in the background (`Session.purgeExpired`), on one replica at a time
   * (the others skip), stopping on `app.close()`. `true` for the defaults. Default `false`.
   */
  sessionCleanup?: boolean | SessionCleanupOptions
}
