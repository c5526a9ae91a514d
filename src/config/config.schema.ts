import { z } from 'zod';
import {
  MAX_RETRAIN_INTERVAL_DAYS,
  MIN_RETRAIN_INTERVAL_MINUTES,
  parseRetrainInterval,
} from '../training/retrain-interval';

/** Event types accepted by default; `EVENT_TYPES` replaces the list. */
export const DEFAULT_EVENT_TYPES = [
  'view',
  'click',
  'add_to_cart',
  'purchase',
  'rating',
  'like',
  'dislike',
] as const;

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

const eventTypeList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((type) => type.trim())
      .filter((type) => type.length > 0),
  )
  .pipe(
    z
      .array(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must match ^[a-z][a-z0-9_]{0,31}$'))
      .min(1, 'must name at least one event type'),
  );

/** `RETRAIN_INTERVAL`: a whole number and a unit, `m`, `h` or `d`, mapped to milliseconds. */
const retrainInterval = z
  .string()
  .refine(
    (value) => parseRetrainInterval(value) !== undefined,
    `must be a whole number followed by m, h or d (for example 30m, 6h, 1d), ` +
      `from ${MIN_RETRAIN_INTERVAL_MINUTES}m to ${MAX_RETRAIN_INTERVAL_DAYS}d`,
  )
  .transform((value) => parseRetrainInterval(value) as number);

/**
 * Environment variables read at start-up. Every name, default and range is listed in
 * `.env.example` and in the README's configuration table.
 */
export const environmentSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  EMBEDDED_PG_DATA_DIR: z.string().min(1).default('./data/postgres'),
  EMBEDDED_PG_PORT: port.default(0),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  RUN_MIGRATIONS: booleanFlag.default(true),
  API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  AUTO_CREATE_ITEMS: booleanFlag.default(false),
  EVENT_TYPES: eventTypeList.default([...DEFAULT_EVENT_TYPES]),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  RECOMMEND_BATCH_MAX: z.coerce.number().int().min(1).max(1024).default(64),
  RECOMMEND_BATCH_WAIT_MS: z.coerce.number().min(0).max(100).default(1),
  RECOMMEND_BATCH_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(64).default(1),
  RECOMMEND_EXCLUDE_SEEN_TYPES: eventTypeList.optional(),
  RECOMMEND_POPULAR_WINDOW_DAYS: z.coerce.number().int().min(1).max(36500).default(30),
  RECOMMEND_POPULAR_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(5),
  RECOMMEND_PAGE_WINDOW_SECONDS: z.coerce.number().int().min(0).max(86400).default(300),
  RECOMMENDATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  MODEL_POLL_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  SERVING_WORKER: booleanFlag.default(true),
  SERVING_THREADS: z.coerce.number().int().min(0).max(256).default(1),
  SERVING_SPINNING: booleanFlag.default(false),
  TRAINING_RUNNER_ENABLED: booleanFlag.default(true),
  TRAINING_THREADS: z.coerce.number().int().min(1).max(256).default(1),
  TRAINING_NICE: z.coerce.number().int().min(0).max(19).default(19),
  TRAINING_PROMOTION_TOLERANCE: z.coerce.number().min(0).max(1).default(0.005),
  TRAINING_HEARTBEAT_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(86_400).default(60),
  TRAINING_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
  RETRAIN_INTERVAL: retrainInterval.optional(),
});

export type Environment = z.infer<typeof environmentSchema>;
