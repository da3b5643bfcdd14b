import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors';

/** Names of the tfjs backends Captioner can run on, fastest first. */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Environment variables Captioner reads. Defaults are written here, once. */
export const envSchema = z.object({
  /** Root of every artifact (datasets, shards, features, checkpoints, exports). @defaultValue `./.captioner` */
  CAPTIONER_HOME: z.string().min(1).default('.captioner'),
  /** `file:…` (SQLite) or `postgresql://…`. @defaultValue SQLite file `captioner.db` in `CAPTIONER_HOME` */
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, 'must start with file: or postgresql://')
    .optional(),
  /** When set, stages run as BullMQ jobs on this Redis; otherwise in process. @defaultValue unset */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  /** Prefix of every BullMQ key in Redis: separate clusters (or test runs) sharing one Redis. @defaultValue `captioner` */
  CAPTIONER_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
    .default('captioner'),
  /** Force one tfjs backend instead of the best one found. @defaultValue unset (auto) */
  CAPTIONER_BACKEND: z.enum(BACKEND_NAMES).optional(),
  /**
   * How long a worker's lock on a job lasts without renewal (BullMQ `lockDuration`). A job whose worker died
   * is taken over once its lock expired and a stall check ran. Model work yields between steps to renew it,
   * but one step may block the event loop for a while, hence generous. @defaultValue 60000
   */
  CAPTIONER_LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(60_000),
  /** How often a worker looks for jobs whose lock expired (BullMQ `stalledInterval`). @defaultValue 30000 */
  CAPTIONER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
  /**
   * How many worker crashes one job survives (BullMQ `maxStalledCount`); one more fails it with "job stalled
   * more than allowable limit". @defaultValue 5
   */
  CAPTIONER_MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(5),
  /**
   * How long a stage keeps retrying a database operation that failed because the database could not be
   * reached (with backoff) before the stage fails. @defaultValue 60000
   */
  CAPTIONER_DB_RETRY_MS: z.coerce.number().int().min(0).default(60_000),
  /**
   * When set, the HTTP API's writes (every POST: starting, cancelling and resuming runs, evaluations) need
   * `Authorization: Bearer <token>`; reads stay open. @defaultValue unset (no authentication)
   */
  CAPTIONER_API_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  /**
   * `1`: the API's reads (pages and JSON) need the token too — a bearer header, or the cookie the
   * dashboard's login form sets. Needs CAPTIONER_API_TOKEN. @defaultValue `0` (reads open)
   */
  CAPTIONER_API_PROTECT_READS: z.enum(['0', '1']).default('0'),
  /** pino level. @defaultValue `info` */
  CAPTIONER_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export interface CaptionerConfig {
  /** Absolute path of the artifact root. */
  home: string;
  databaseUrl: string;
  databaseProvider: 'sqlite' | 'postgresql';
  redisUrl: string | undefined;
  queuePrefix: string;
  backend: BackendName | undefined;
  logLevel: z.infer<typeof envSchema>['CAPTIONER_LOG_LEVEL'];
  /** BullMQ stall detection for workers (see the CAPTIONER_* variables above). */
  queue: { lockDurationMs: number; stalledIntervalMs: number; maxStalledCount: number };
  /** How long stages retry database operations while the database is unreachable. */
  dbRetryMs: number;
  /** Bearer token the API requires for writes (CAPTIONER_API_TOKEN). */
  apiToken: string | undefined;
  /** Reads need the token too (CAPTIONER_API_PROTECT_READS=1). */
  apiProtectReads: boolean;
}

/** Reads and validates the configuration from an environment (process.env by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CaptionerConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.CAPTIONER_API_PROTECT_READS === '1' && !e.CAPTIONER_API_TOKEN)
    throw new ConfigError('environment variable CAPTIONER_API_PROTECT_READS: needs CAPTIONER_API_TOKEN');
  const home = path.resolve(e.CAPTIONER_HOME);
  const databaseUrl = e.DATABASE_URL ?? `file:${path.join(home, 'captioner.db')}`;
  return {
    home,
    databaseUrl,
    databaseProvider: databaseUrl.startsWith('file:') ? 'sqlite' : 'postgresql',
    redisUrl: e.REDIS_URL,
    queuePrefix: e.CAPTIONER_QUEUE_PREFIX,
    backend: e.CAPTIONER_BACKEND,
    logLevel: e.CAPTIONER_LOG_LEVEL,
    queue: {
      lockDurationMs: e.CAPTIONER_LOCK_DURATION_MS,
      stalledIntervalMs: e.CAPTIONER_STALLED_INTERVAL_MS,
      maxStalledCount: e.CAPTIONER_MAX_STALLED_COUNT,
    },
    dbRetryMs: e.CAPTIONER_DB_RETRY_MS,
    apiToken: e.CAPTIONER_API_TOKEN,
    apiProtectReads: e.CAPTIONER_API_PROTECT_READS === '1',
  };
}
