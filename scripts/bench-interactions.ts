/**
 * Throughput benchmark of POST /interactions.
 *
 * Starts the real service as a child process on 127.0.0.1, backed by an embedded
 * PostgreSQL in a temporary folder (or by DATABASE_URL, whose tables then receive the
 * benchmark's rows). Creates items, then keeps BENCH_CONNECTIONS requests in flight, each
 * carrying BENCH_BATCH_SIZE generated events, for BENCH_DURATION_S seconds, and prints
 * events/s, requests/s and latency percentiles.
 *
 * Run with `npm run bench:interactions`. Settings (environment variables):
 *   BENCH_DURATION_S (15), BENCH_WARMUP_S (3), BENCH_CONNECTIONS (8),
 *   BENCH_BATCH_SIZE (100), BENCH_ITEMS (10000), BENCH_USERS (50000),
 *   LOG_LEVEL for the service (warn), DB_POOL_SIZE for the service (10).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { EmbeddedDatabase, findFreePort } from '../src/database/embedded-postgres';

interface Settings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  batchSize: number;
  itemCount: number;
  userCount: number;
}

interface Response {
  status: number;
  body: string;
}

interface LoadResult {
  requests: number;
  failures: number;
  firstFailure?: string;
  latenciesMs: number[];
  elapsedSeconds: number;
}

const EVENT_TYPES = ['view', 'view', 'view', 'click', 'add_to_cart', 'purchase'];

function readSettings(): Settings {
  const read = (name: string, fallback: number): number => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`${name} must be a positive integer, got ${process.env[name]}`);
    }
    return value;
  };
  return {
    durationSeconds: read('BENCH_DURATION_S', 15),
    warmupSeconds: read('BENCH_WARMUP_S', 3),
    connections: read('BENCH_CONNECTIONS', 8),
    batchSize: read('BENCH_BATCH_SIZE', 100),
    itemCount: read('BENCH_ITEMS', 10000),
    userCount: read('BENCH_USERS', 50000),
  };
}

/** Sends one JSON request over a keep-alive agent and collects the response body. */
function send(agent: Agent, port: number, method: string, urlPath: string, body?: string) {
  return new Promise<Response>((resolve, reject) => {
    const outgoing = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function startService(port: number, databaseUrl: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROFILE_DIR === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`]),
      '-r',
      'ts-node/register/transpile-only',
      path.join('src', 'main.ts'),
    ],
    {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        API_KEY: '',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return child;
}

async function waitUntilReady(agent: Agent, port: number, service: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (service.exitCode !== null) {
      throw new Error(`the service exited with code ${service.exitCode} while starting`);
    }
    try {
      const response = await send(agent, port, 'GET', '/health/ready');
      if (response.status === 200) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the service did not become ready within 120 s');
}

async function createItems(agent: Agent, port: number, count: number): Promise<void> {
  for (let start = 0; start < count; start += 1000) {
    const items = [];
    for (let i = start; i < Math.min(start + 1000, count); i += 1) {
      items.push({ id: `item-${i}`, title: `Item ${i}`, categories: [`c${i % 20}`] });
    }
    const response = await send(agent, port, 'POST', '/items/bulk', JSON.stringify({ items }));
    if (response.status !== 200) {
      throw new Error(`POST /items/bulk failed with ${response.status}: ${response.body}`);
    }
  }
}

/** Builds a batch of events with fresh event ids, random users, items and types. */
function createBatchBody(settings: Settings, runId: string, sequence: number): string {
  const now = Date.now();
  const events = [];
  for (let i = 0; i < settings.batchSize; i += 1) {
    const type = EVENT_TYPES[Math.floor(Math.random() * EVENT_TYPES.length)];
    events.push({
      userId: `user-${Math.floor(Math.random() * settings.userCount)}`,
      itemId: `item-${Math.floor(Math.random() * settings.itemCount)}`,
      type,
      value: type === 'purchase' ? Math.round(Math.random() * 10000) / 100 : undefined,
      occurredAt: new Date(now - Math.floor(Math.random() * 60_000)).toISOString(),
      eventId: `${runId}-${sequence}-${i}`,
    });
  }
  return JSON.stringify(events);
}

/** Keeps `connections` requests in flight until `seconds` have passed. */
async function runLoad(
  agent: Agent,
  port: number,
  settings: Settings,
  seconds: number,
): Promise<LoadResult> {
  const runId = randomUUID();
  const result: LoadResult = { requests: 0, failures: 0, latenciesMs: [], elapsedSeconds: 0 };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let sequence = 0;

  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const body = createBatchBody(settings, runId, sequence);
      sequence += 1;
      const sent = performance.now();
      const response = await send(agent, port, 'POST', '/interactions', body);
      result.latenciesMs.push(performance.now() - sent);
      result.requests += 1;
      if (response.status !== 201) {
        result.failures += 1;
        result.firstFailure ??= `${response.status} ${response.body.slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: settings.connections }, worker));

  result.elapsedSeconds = (performance.now() - started) / 1000;
  return result;
}

/**
 * CPU seconds (user + system) used so far by the given processes, read from /proc on
 * Linux. Returns NaN elsewhere.
 */
function cpuSeconds(pids: number[]): number {
  const ticksPerSecond = 100;
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name; utime and stime are fields 14 and 15 of the line.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process exited; its CPU time is lost, so the total is a lower bound.
    }
  }
  return pids.length === 0 ? Number.NaN : ticks / ticksPerSecond;
}

/** Process ids of the PostgreSQL server whose data folder is `dataDir`, and its children. */
function postgresPids(dataDir: string): number[] {
  const postmaster = Number(
    readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ');
        return Number(fields[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

function report(result: LoadResult, settings: Settings, storedEvents: number): void {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const succeeded = result.requests - result.failures;
  const lines = [
    `duration:        ${result.elapsedSeconds.toFixed(1)} s, ${settings.connections} connections, ${settings.batchSize} events per request`,
    `requests:        ${result.requests} (${result.failures} failed)`,
    `requests/s:      ${(succeeded / result.elapsedSeconds).toFixed(0)}`,
    `events/s:        ${((succeeded * settings.batchSize) / result.elapsedSeconds).toFixed(0)}`,
    `latency p50:     ${percentile(sorted, 0.5).toFixed(1)} ms`,
    `latency p99:     ${percentile(sorted, 0.99).toFixed(1)} ms`,
    `latency max:     ${(sorted.at(-1) ?? Number.NaN).toFixed(1)} ms`,
    `rows in interactions after the run: ${storedEvents}`,
  ];
  console.log(lines.join('\n'));
  if (result.firstFailure !== undefined) {
    console.log(`first failure: ${result.firstFailure}`);
  }
}

/** Prints where CPU time went: the service process and the PostgreSQL processes. */
function reportCpu(
  result: LoadResult,
  settings: Settings,
  cpu: { service: number; database: number },
): void {
  const events = (result.requests - result.failures) * settings.batchSize;
  const perThousand = (seconds: number) => ((seconds / events) * 1000 * 1000).toFixed(1);
  const [load1] = loadavg();
  console.log(
    [
      `CPU, service:    ${cpu.service.toFixed(1)} s (${perThousand(cpu.service)} ms per 1,000 events)`,
      `CPU, PostgreSQL: ${cpu.database.toFixed(1)} s (${perThousand(cpu.database)} ms per 1,000 events)`,
      `machine:         ${cpus().length} cores, load average ${load1.toFixed(1)} at the end`,
    ].join('\n'),
  );
}

function embeddedDataDir(parent: string): string {
  return path.join(parent, 'postgres');
}

async function countInteractions(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM interactions',
    );
    return result.rows[0].count;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const settings = readSettings();
  let embedded: EmbeddedDatabase | undefined;
  let dataParent: string | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl === undefined || databaseUrl === '') {
    dataParent = mkdtempSync(path.join(tmpdir(), 'qrec-bench-'));
    // As root, PostgreSQL runs as the `postgres` user, which must be able to enter the folder.
    chmodSync(dataParent, 0o755);
    embedded = new EmbeddedDatabase(embeddedDataDir(dataParent));
    databaseUrl = (await embedded.open()).url;
    console.log(`embedded PostgreSQL in ${dataParent}`);
  }

  const port = await findFreePort();
  const agent = new Agent({ keepAlive: true, maxSockets: settings.connections });
  const service = startService(port, databaseUrl);
  try {
    await waitUntilReady(agent, port, service);
    await createItems(agent, port, settings.itemCount);
    console.log(`created ${settings.itemCount} items; warming up for ${settings.warmupSeconds} s`);
    const before = await countInteractions(databaseUrl);
    await runLoad(agent, port, settings, settings.warmupSeconds);
    const afterWarmup = await countInteractions(databaseUrl);
    console.log(`warm-up stored ${afterWarmup - before} events; measuring`);

    const servicePids = service.pid === undefined ? [] : [service.pid];
    const databasePids = dataParent === undefined ? [] : postgresPids(embeddedDataDir(dataParent));
    const cpuBefore = { service: cpuSeconds(servicePids), database: cpuSeconds(databasePids) };

    const result = await runLoad(agent, port, settings, settings.durationSeconds);

    const cpu = {
      service: cpuSeconds(servicePids) - cpuBefore.service,
      database: cpuSeconds(databasePids) - cpuBefore.database,
    };
    report(result, settings, (await countInteractions(databaseUrl)) - afterWarmup);
    reportCpu(result, settings, cpu);
  } finally {
    agent.destroy();
    if (service.exitCode === null) {
      const exited = new Promise((resolve) => service.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    await embedded?.close();
    if (dataParent !== undefined) {
      rmSync(dataParent, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exitCode = 1;
});
