import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findFreePort } from '../src/database/embedded-postgres';

const MAIN = path.resolve(__dirname, '../dist/src/main.js');
const START_TIMEOUT_MS = 30_000;

interface RunningService {
  process: ChildProcess;
  baseUrl: string;
  output: () => string;
}

/** Starts the built service as a user would, on an embedded PostgreSQL in `dataDir`. */
async function startService(dataDir: string): Promise<RunningService> {
  const port = await findFreePort();
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      EMBEDDED_PG_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady(baseUrl, child, () => output);
  return { process: child, baseUrl, output: () => output };
}

async function waitUntilReady(
  baseUrl: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`service exited with code ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(`${baseUrl}/health/ready`);
      if (response.status === 200) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`service not ready within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

async function stopService(service: RunningService, signal: NodeJS.Signals): Promise<void> {
  const child = service.process;
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

async function putItem(baseUrl: string, id: string): Promise<number> {
  const response = await fetch(`${baseUrl}/items/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: `Item ${id}`, categories: ['test'] }),
  });
  return response.status;
}

/** Posts `count` events for one user. Returns the status, or 'refused' when no response came. */
async function postEvents(baseUrl: string, user: number, count: number): Promise<number | string> {
  const events = Array.from({ length: count }, (_, i) => ({
    userId: `drain-user-${user}`,
    itemId: 'drain',
    type: 'view',
    eventId: `drain-${user}-${i}`,
  }));
  try {
    const response = await fetch(`${baseUrl}/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    return response.status;
  } catch {
    return 'refused';
  }
}

describe('embedded database', () => {
  let parent: string;
  let dataDir: string;
  const started: RunningService[] = [];

  beforeAll(() => {
    parent = mkdtempSync(path.join(tmpdir(), 'qrec-embedded-'));
    // As root the server runs as the `postgres` user, which must be able to enter this folder.
    chmodSync(parent, 0o755);
    dataDir = path.join(parent, 'postgres');
  });

  afterAll(async () => {
    for (const service of started) {
      await stopService(service, 'SIGTERM');
    }
    for (const folder of [dataDir, path.join(parent, 'drain')]) {
      const orphan = postmasterPid(folder);
      if (orphan !== undefined) {
        try {
          process.kill(orphan, 'SIGINT');
        } catch {
          // Already gone.
        }
      }
    }
    rmSync(parent, { recursive: true, force: true });
  });

  it('keeps data across a clean restart', async () => {
    const first = await startService(dataDir);
    started.push(first);
    expect(first.output()).toContain('"databaseMode":"embedded"');
    expect(await putItem(first.baseUrl, 'kept-1')).toBe(201);

    await stopService(first, 'SIGTERM');
    expect(postmasterPid(dataDir)).toBeUndefined();

    const second = await startService(dataDir);
    started.push(second);
    const response = await fetch(`${second.baseUrl}/items/kept-1`);
    const body = (await response.json()) as { title: string };
    expect(response.status).toBe(200);
    expect(body.title).toBe('Item kept-1');
    await stopService(second, 'SIGTERM');
  });

  it('keeps data when the service is killed', async () => {
    const first = await startService(dataDir);
    started.push(first);
    expect(await putItem(first.baseUrl, 'kept-2')).toBe(201);

    await stopService(first, 'SIGKILL');

    // The PostgreSQL server outlives a killed service; the next start attaches to it.
    const second = await startService(dataDir);
    started.push(second);
    const response = await fetch(`${second.baseUrl}/items/kept-2`);
    expect(response.status).toBe(200);
    expect(second.output()).toContain('"embeddedServerOwned":false');
  });

  it('finishes requests in flight on SIGTERM', async () => {
    // A folder of its own, so that this service starts and owns its server.
    const drainDir = path.join(parent, 'drain');
    const service = await startService(drainDir);
    started.push(service);
    expect(await putItem(service.baseUrl, 'drain')).toBe(201);

    const requests = Array.from({ length: 16 }, (_, i) => postEvents(service.baseUrl, i, 1000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await stopService(service, 'SIGTERM');
    const outcomes = await Promise.all(requests);

    // A request either completes or is refused when the server has closed, never a 5xx.
    expect(outcomes.filter((outcome) => outcome === 201).length).toBeGreaterThan(0);
    expect(outcomes.filter((outcome) => typeof outcome === 'number' && outcome !== 201)).toEqual(
      [],
    );
    expect(postmasterPid(drainDir)).toBeUndefined();
  });

  it('stops on pending migrations when told not to run them', async () => {
    const freshDir = path.join(parent, 'no-migrations');
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        DATABASE_URL: '',
        EMBEDDED_PG_DATA_DIR: freshDir,
        PORT: String(await findFreePort()),
        RUN_MIGRATIONS: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exitCode = await new Promise((resolve) => child.once('exit', resolve));

    expect(exitCode).toBe(1);
    expect(output).toContain('pending migrations and RUN_MIGRATIONS=false');
    expect(postmasterPid(freshDir)).toBeUndefined();
  });
});
