import { readFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import type { App } from 'supertest/types';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { loadConfig } from '../../src/config/app-config';

/** Admin key the training tests configure. */
export const ADMIN_KEY = 'admin-key-0123456789';

/**
 * Boots the application on an existing database, so several instances can share one, as
 * they do behind a load balancer. Closing the app leaves the database in place.
 */
export async function bootApp(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<NestExpressApplication> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    ADMIN_API_KEY: ADMIN_KEY,
    ...env,
    DATABASE_URL: databaseUrl,
  });
  const connection = {
    url: databaseUrl,
    mode: 'external' as const,
    ownsServer: false,
    close: () => Promise.resolve(),
  };
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register({ config, database: connection }),
    { bodyParser: false, logger: false },
  );
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  return app;
}

/** Body of a training run response, with the fields the tests read. */
export interface RunBody {
  id: string;
  status: string;
  worker: string | null;
  currentEpoch: number | null;
  epochs: { epoch: number; loss: number; validationNdcg10: number | null }[];
  elapsedSeconds: number | null;
  etaSeconds: number | null;
  stepsPerSecond: number | null;
  examplesPerSecond: number | null;
  modelVersionId: string | null;
  error: string | null;
  promotion: {
    decision: string;
    reason: string;
    candidateNdcg10: number;
    activeNdcg10: number | null;
    activeVersionId: string | null;
  } | null;
  [field: string]: unknown;
}

const FINISHED = ['succeeded', 'failed', 'cancelled'];

/**
 * Polls `GET /admin/training-runs/:id` every 50 ms until `done` holds for the run, and
 * returns every response seen, the last one meeting `done`. Throws after `timeoutMs`.
 */
export async function followRun(
  server: App | string,
  id: string,
  done: (run: RunBody) => boolean = (run) => FINISHED.includes(run.status),
  timeoutMs = 60_000,
): Promise<RunBody[]> {
  const seen: RunBody[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request(server)
      .get(`/admin/training-runs/${id}`)
      .set('x-api-key', ADMIN_KEY);
    if (response.status !== 200) {
      throw new Error(
        `GET run ${id} returned ${response.status}: ${JSON.stringify(response.body)}`,
      );
    }
    const run = response.body as RunBody;
    seen.push(run);
    if (done(run)) {
      return seen;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for run ${id}; last: ${JSON.stringify(run)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Returns the last element of a non-empty array. */
export function last<T>(values: T[]): T {
  if (values.length === 0) {
    throw new Error('expected a non-empty array');
  }
  return values[values.length - 1];
}

/** Reads the pid from a worker label `host:pid`. */
export function workerPid(label: string | null): number {
  const pid = Number(label?.split(':').at(-1));
  if (!Number.isInteger(pid)) {
    throw new Error(`worker label ${String(label)} has no pid`);
  }
  return pid;
}

/** True when a process with this pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Interactions in which each user walks a ring of `items` items one step at a time from
 * their own start, `perUser` steps, one minute apart. A trained model learns "next item on
 * the ring", so its validation NDCG@10 is far above an untrained one's.
 */
export function ringInteractions(
  users: number,
  items: number,
  perUser: number,
): { userId: string; itemId: string; eventType: string; occurredAt: Date }[] {
  const start = Date.parse('2026-01-01T00:00:00Z');
  const interactions = [];
  for (let user = 0; user < users; user += 1) {
    for (let step = 0; step < perUser; step += 1) {
      interactions.push({
        userId: `user-${user}`,
        itemId: `item-${(user * 7 + step) % items}`,
        eventType: 'view',
        occurredAt: new Date(start + (user * perUser + step) * 60_000),
      });
    }
  }
  return interactions;
}
