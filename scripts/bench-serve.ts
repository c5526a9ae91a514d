/**
 * Serving benchmark of GET /recommendations against the stored-list route.
 *
 * Starts the built service (`npm run build` first) as a child process on 127.0.0.1 with an
 * embedded PostgreSQL in BENCH_DATA_DIR, which is kept between runs. On the first run it
 * imports ML-1M's train.txt and trains a model from the database with `qrec train --from-db
 * --activate`; later runs reuse both. Then it drives, with autocannon, at each concurrency:
 *   - GET /recommendations?userId=<random user>&n=10: read history, run the model, filter,
 *     store the served list;
 *   - GET /recommendations/<id>: read one stored list back from PostgreSQL.
 * It prints requests/s and latency p50, p99 and max for each, and the ratio of the two.
 *
 * Run with `npm run bench:serve`. Settings (environment variables):
 *   BENCH_DATASET (../shared/datasets/ml-1m), BENCH_DATA_DIR (./data/bench-serve),
 *   BENCH_CONCURRENCY (1,16,64), BENCH_DURATION_S (10), BENCH_WARMUP_S (3),
 *   BENCH_TRAIN_MINUTES (3; the model's quality does not change the serving cost),
 *   BENCH_ROUTES (model,stored), BENCH_REUSE_PORT (attach to a running service on this port),
 *   BENCH_DURING_TRAINING (0; 1 also drives the model route at concurrency 16 while a training
 *   run started through POST /admin/training-runs trains on the same data, then cancels it).
 */
import autocannon from 'autocannon';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { findFreePort } from '../src/database/embedded-postgres';

interface Settings {
  dataset: string;
  dataDir: string;
  concurrency: number[];
  durationSeconds: number;
  warmupSeconds: number;
  trainMinutes: number;
  routes: Route[];
  reusePort?: number;
  duringTraining: boolean;
}

type Route = 'model' | 'stored';

/** A measured route; `model-training` is the model route while a training run trains. */
type MeasuredRoute = Route | 'model-training';

interface RouteResult {
  route: MeasuredRoute;
  connections: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
}

const CLI = path.join('dist', 'src', 'cli', 'main.js');
const SERVICE = path.join('dist', 'src', 'main.js');

function readSettings(): Settings {
  const positive = (name: string, fallback: number): number => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`${name} must be a positive number, got ${process.env[name]}`);
    }
    return value;
  };
  const concurrency = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
  if (concurrency.some((value) => !Number.isInteger(value) || value < 1)) {
    throw new Error(`BENCH_CONCURRENCY must list positive integers, got ${concurrency.join()}`);
  }
  const routes = (process.env.BENCH_ROUTES ?? 'model,stored').split(',') as Route[];
  if (routes.some((route) => route !== 'model' && route !== 'stored')) {
    throw new Error(`BENCH_ROUTES must list model and/or stored, got ${routes.join()}`);
  }
  return {
    dataset: process.env.BENCH_DATASET ?? path.join('..', 'shared', 'datasets', 'ml-1m'),
    dataDir: process.env.BENCH_DATA_DIR ?? path.join('data', 'bench-serve'),
    concurrency,
    durationSeconds: positive('BENCH_DURATION_S', 10),
    warmupSeconds: positive('BENCH_WARMUP_S', 3),
    trainMinutes: positive('BENCH_TRAIN_MINUTES', 3),
    routes,
    reusePort:
      process.env.BENCH_REUSE_PORT === undefined ? undefined : Number(process.env.BENCH_REUSE_PORT),
    duringTraining: process.env.BENCH_DURING_TRAINING === '1',
  };
}

function get(
  agent: Agent,
  port: number,
  urlPath: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = { agent, host: '127.0.0.1', port, path: urlPath, method };
    const outgoing = request(options, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () =>
        resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function serviceEnvironment(settings: Settings, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    EMBEDDED_PG_DATA_DIR: path.join(settings.dataDir, 'postgres'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    API_KEY: '',
    ADMIN_API_KEY: '',
  };
}

function startService(settings: Settings, port: number): ChildProcess {
  return spawn(process.execPath, [SERVICE], {
    env: serviceEnvironment(settings, port),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function waitUntilReady(agent: Agent, port: number, service?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (service !== undefined && service.exitCode !== null) {
      throw new Error(`the service exited with code ${service.exitCode} while starting`);
    }
    const response = await get(agent, port, '/health/ready').catch(() => undefined);
    if (response?.status === 200) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the service did not become ready within 180 s');
}

/** Runs a qrec CLI command against the service's database and stops on failure. */
function runCli(settings: Settings, port: number, args: string[]): void {
  console.log(`$ qrec ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: serviceEnvironment(settings, port),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    throw new Error(`qrec ${args[0]} failed with exit code ${String(result.status)}`);
  }
}

/** Imports the dataset and trains a model unless the database already serves one. */
async function prepareModel(settings: Settings, agent: Agent, port: number): Promise<void> {
  const probe = await get(agent, port, '/recommendations?userId=1&n=10');
  if (probe.status === 200 && (JSON.parse(probe.body) as { source: string }).source === 'model') {
    console.log('reusing the imported data and the active model in', settings.dataDir);
    return;
  }
  const users = await get(agent, port, '/users?limit=1');
  if (users.status !== 200 || (JSON.parse(users.body) as { data: unknown[] }).data.length === 0) {
    runCli(settings, port, [
      'import',
      path.join(settings.dataset, 'train.txt'),
      '--format',
      'sequential',
      '--no-progress',
    ]);
  }
  runCli(settings, port, [
    'train',
    '--from-db',
    '--activate',
    '--max-minutes',
    String(settings.trainMinutes),
    '--validation-users',
    '512',
    '--no-progress',
  ]);
  await waitForModel(agent, port);
}

async function waitForModel(agent: Agent, port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const response = await get(agent, port, '/recommendations?userId=1&n=10');
    if (
      response.status === 200 &&
      (JSON.parse(response.body) as { source: string }).source === 'model'
    ) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the service did not switch to the trained model within 60 s');
}

/** Serves lists to random users and returns their ids, the stored-list route's targets. */
async function collectListIds(agent: Agent, port: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const response = await get(agent, port, `/recommendations?userId=${randomUser()}&n=10`);
    ids.push((JSON.parse(response.body) as { id: string }).id);
  }
  return ids;
}

function randomUser(): number {
  return 1 + Math.floor(Math.random() * 6040);
}

function pathFor(route: Route, listIds: string[]): () => string {
  if (route === 'model') {
    return () => `/recommendations?userId=${randomUser()}&n=10`;
  }
  return () => `/recommendations/${listIds[Math.floor(Math.random() * listIds.length)]}`;
}

async function drive(
  port: number,
  route: Route,
  connections: number,
  seconds: number,
  nextPath: () => string,
): Promise<RouteResult> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: nextPath() }) }],
  });
  return {
    route,
    connections,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

interface TrainingRunView {
  id: string;
  status: string;
  currentEpoch: number | null;
  stepsPerSecond: number | null;
}

/**
 * Starts a training run with the default configuration through the admin API and waits
 * until its worker is stepping, so that the load that follows meets training at full speed.
 */
async function startTraining(agent: Agent, port: number): Promise<TrainingRunView> {
  const started = await get(agent, port, '/admin/training-runs', 'POST');
  if (started.status !== 202) {
    throw new Error(`POST /admin/training-runs failed with ${started.status}: ${started.body}`);
  }
  const id = (JSON.parse(started.body) as TrainingRunView).id;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const run = JSON.parse(
      (await get(agent, port, `/admin/training-runs/${id}`)).body,
    ) as TrainingRunView;
    if (run.status !== 'queued' && run.status !== 'running') {
      throw new Error(`training run ${id} ended with status ${run.status} before the load`);
    }
    if (run.status === 'running' && (run.stepsPerSecond ?? 0) > 0) {
      return run;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`training run ${id} did not start stepping within 300 s`);
}

/** Drives the model route at concurrency 16 while a training run trains, then cancels it. */
async function driveDuringTraining(
  settings: Settings,
  agent: Agent,
  port: number,
): Promise<RouteResult> {
  const run = await startTraining(agent, port);
  console.log(`training run ${run.id} is stepping at ${run.stepsPerSecond?.toFixed(2)} steps/s`);
  try {
    const nextPath = pathFor('model', []);
    await drive(port, 'model', 16, settings.warmupSeconds, nextPath);
    const result = await drive(port, 'model', 16, settings.durationSeconds, nextPath);
    const after = JSON.parse(
      (await get(agent, port, `/admin/training-runs/${run.id}`)).body,
    ) as TrainingRunView;
    console.log(
      `training run ${run.id} was ${after.status} at ${after.stepsPerSecond?.toFixed(2)} steps/s during the load`,
    );
    return { ...result, route: 'model-training' };
  } finally {
    await get(agent, port, `/admin/training-runs/${run.id}/cancel`, 'POST');
  }
}

function printTable(results: RouteResult[]): void {
  console.log('\nroute          conc  requests/s  p50 ms  p99 ms  max ms  errors  non-2xx');
  for (const r of results) {
    console.log(
      `${r.route.padEnd(14)} ${String(r.connections).padStart(4)}  ${r.requestsPerSecond
        .toFixed(0)
        .padStart(10)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p99.toFixed(1).padStart(6)}  ${r.max
        .toFixed(1)
        .padStart(6)}  ${String(r.errors).padStart(6)}  ${String(r.non2xx).padStart(7)}`,
    );
  }
  const idle = results.find((r) => r.route === 'model' && r.connections === 16);
  const training = results.find((r) => r.route === 'model-training');
  if (idle !== undefined && training !== undefined) {
    const ratio = training.p99 / idle.p99;
    console.log(`concurrency 16: p99 during training / idle p99 = ${ratio.toFixed(2)}`);
  }
  for (const connections of new Set(results.map((r) => r.connections))) {
    const model = results.find((r) => r.route === 'model' && r.connections === connections);
    const stored = results.find((r) => r.route === 'stored' && r.connections === connections);
    if (model !== undefined && stored !== undefined) {
      const ratio = model.requestsPerSecond / stored.requestsPerSecond;
      console.log(`concurrency ${connections}: model / stored throughput = ${ratio.toFixed(2)}`);
    }
  }
  const [load1] = loadavg();
  console.log(`machine: ${cpus().length} cores, load average ${load1.toFixed(1)} at the end`);
}

async function main(): Promise<void> {
  const settings = readSettings();
  if (!existsSync(SERVICE)) {
    throw new Error(`${SERVICE} is missing: run \`npm run build\` first`);
  }
  const port = settings.reusePort ?? (await findFreePort());
  const service = settings.reusePort === undefined ? startService(settings, port) : undefined;
  // No keep-alive: the server closes idle sockets while the CLI steps run for minutes.
  const agent = new Agent({ keepAlive: false });
  try {
    await waitUntilReady(agent, port, service);
    await prepareModel(settings, agent, port);
    const listIds = await collectListIds(agent, port, 500);
    const results: RouteResult[] = [];
    for (const connections of settings.concurrency) {
      for (const route of settings.routes) {
        const nextPath = pathFor(route, listIds);
        await drive(port, route, connections, settings.warmupSeconds, nextPath);
        const result = await drive(port, route, connections, settings.durationSeconds, nextPath);
        console.log(JSON.stringify(result));
        results.push(result);
      }
    }
    if (settings.duringTraining) {
      const result = await driveDuringTraining(settings, agent, port);
      console.log(JSON.stringify(result));
      results.push(result);
    }
    printTable(results);
  } finally {
    agent.destroy();
    if (service !== undefined && service.exitCode === null) {
      service.kill('SIGTERM');
      await new Promise((resolve) => service.once('exit', resolve));
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
