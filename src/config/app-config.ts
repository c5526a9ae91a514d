import * as path from 'node:path';
import { ZodError } from 'zod';
import { environmentSchema } from './config.schema';

export type DatabaseMode = 'embedded' | 'external';

/** Typed, validated settings of one qrec process. */
export interface AppConfig {
  http: { host: string; port: number; bodyLimitBytes: number };
  database: {
    /** Set when an external PostgreSQL is used; unset means embedded. */
    url?: string;
    embeddedDataDir: string;
    embeddedPort: number;
    poolSize: number;
    runMigrations: boolean;
  };
  auth: { apiKey?: string; adminApiKey?: string };
  interactions: { eventTypes: string[]; autoCreateItems: boolean };
  log: { level: string; format: 'json' | 'pretty' };
  /** Serving of the active model version. */
  models: {
    /** Milliseconds between checks for a newly activated version; 0 turns polling off. */
    pollIntervalMs: number;
    /** Runs the active model in a worker thread instead of the event loop's thread. */
    servingWorker: boolean;
    /** ONNX Runtime intra-op threads of the serving sessions; 0 lets ONNX Runtime choose. */
    servingThreads: number;
    /** Lets idle intra-op threads of the serving sessions spin. */
    servingSpinning: boolean;
  };
  training: {
    /** Whether this process claims and executes queued training runs. */
    runnerEnabled: boolean;
    /** ONNX Runtime intra-op threads of the training worker process. */
    threads: number;
    /** Scheduling niceness of the training worker process, 0 to 19 (19 yields most). */
    niceness: number;
    /** How far below the active version's validation NDCG@10 a new version may score and still be promoted. */
    promotionTolerance: number;
    heartbeatTimeoutSeconds: number;
    pollIntervalMs: number;
    /** Milliseconds between scheduled runs; undefined turns the schedule off. */
    retrainIntervalMs?: number;
  };
  recommendations: RecommendationSettings;
}

/** Settings of `GET /recommendations` and of the stored lists. */
export interface RecommendationSettings {
  /** Largest number of requests in one ONNX Runtime run. */
  batchMaxSize: number;
  /** Milliseconds a request waits for others to join its batch while the model is idle. */
  batchWaitMs: number;
  /** Runs of one model in flight at the same time; later requests form the next batch. */
  batchMaxInFlight: number;
  /** Event types whose items count as seen and are not recommended; null means every type. */
  excludeSeenTypes: string[] | null;
  popularWindowDays: number;
  /** How long a popularity ranking is reused; 0 disables the cache. */
  popularCacheMs: number;
  /** How long a served list can be continued by a request for a later page. */
  pageWindowSeconds: number;
  /** Age after which served lists are deleted. */
  retentionDays: number;
}

/** Raised when one or more environment variables are invalid; lists every one of them. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment once and maps it to the typed config. Empty strings count as
 * unset, so `API_KEY=` in a .env file means "no key".
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );

  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(describeProblems(parsed.error, present));
  }
  const e = parsed.data;

  return {
    http: { host: e.HOST, port: e.PORT, bodyLimitBytes: e.BODY_LIMIT_BYTES },
    database: {
      url: e.DATABASE_URL,
      embeddedDataDir: path.resolve(e.EMBEDDED_PG_DATA_DIR),
      embeddedPort: e.EMBEDDED_PG_PORT,
      poolSize: e.DB_POOL_SIZE,
      runMigrations: e.RUN_MIGRATIONS,
    },
    auth: { apiKey: e.API_KEY, adminApiKey: e.ADMIN_API_KEY },
    interactions: { eventTypes: e.EVENT_TYPES, autoCreateItems: e.AUTO_CREATE_ITEMS },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    recommendations: {
      batchMaxSize: e.RECOMMEND_BATCH_MAX,
      batchWaitMs: e.RECOMMEND_BATCH_WAIT_MS,
      batchMaxInFlight: e.RECOMMEND_BATCH_MAX_IN_FLIGHT,
      excludeSeenTypes: e.RECOMMEND_EXCLUDE_SEEN_TYPES ?? null,
      popularWindowDays: e.RECOMMEND_POPULAR_WINDOW_DAYS,
      popularCacheMs: e.RECOMMEND_POPULAR_CACHE_SECONDS * 1000,
      pageWindowSeconds: e.RECOMMEND_PAGE_WINDOW_SECONDS,
      retentionDays: e.RECOMMENDATION_RETENTION_DAYS,
    },
    models: {
      pollIntervalMs: e.MODEL_POLL_INTERVAL_MS,
      servingWorker: e.SERVING_WORKER,
      servingThreads: e.SERVING_THREADS,
      servingSpinning: e.SERVING_SPINNING,
    },
    training: {
      runnerEnabled: e.TRAINING_RUNNER_ENABLED,
      threads: e.TRAINING_THREADS,
      niceness: e.TRAINING_NICE,
      promotionTolerance: e.TRAINING_PROMOTION_TOLERANCE,
      heartbeatTimeoutSeconds: e.TRAINING_HEARTBEAT_TIMEOUT_SECONDS,
      pollIntervalMs: e.TRAINING_POLL_INTERVAL_MS,
      retrainIntervalMs: e.RETRAIN_INTERVAL,
    },
  };
}

const SECRET_NAMES = new Set(['API_KEY', 'ADMIN_API_KEY', 'DATABASE_URL']);

function describeProblems(error: ZodError, env: Record<string, string | undefined>): string[] {
  return error.issues.map((issue) => {
    const name = String(issue.path[0]);
    const shown = SECRET_NAMES.has(name) ? '<redacted>' : JSON.stringify(env[name] ?? '');
    return `${name}=${shown}: ${issue.message}`;
  });
}
