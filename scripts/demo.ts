/**
 * The main job in one go: start the service on an embedded PostgreSQL, import a MovieLens
 * folder, train a Q-Former from the database, and print a few users' latest interactions
 * next to their explained recommendations.
 *
 *   npm run demo -- --data ../shared/datasets/ml-100k [--users 3] [--train-minutes 3]
 *                   [--data-dir ./data/demo] [--keep]
 *
 * The folder may hold MovieLens 100K (u.data, u.item), MovieLens 1M (ratings.dat,
 * movies.dat) or the sequential format (train.txt). The database lives in --data-dir and
 * is reused by the next run, which then skips the import. `--keep` leaves the service
 * running afterwards so you can query it yourself.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { findFreePort } from '../src/database/embedded-postgres';

interface DemoOptions {
  data: string;
  format: 'ml-100k' | 'ml-1m' | 'sequential';
  importPath: string;
  users: number;
  trainMinutes: number;
  dataDir: string;
  keep: boolean;
}

interface RecommendedItem {
  itemId: string;
  rank: number;
  score: number;
  title: string;
  explanation?: { interest: number; because: { itemId: string; title: string; weight: number }[] };
}

interface RecommendationList {
  source: string;
  modelVersion: string | null;
  items: RecommendedItem[];
}

const CLI = path.join('dist', 'src', 'cli', 'main.js');
const SERVICE = path.join('dist', 'src', 'main.js');

function readOptions(): DemoOptions {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      users: { type: 'string', default: '3' },
      'train-minutes': { type: 'string', default: '3' },
      'data-dir': { type: 'string', default: path.join('data', 'demo') },
      keep: { type: 'boolean', default: false },
    },
  });
  if (values.data === undefined) {
    throw new Error('--data <folder> is required, e.g. --data ../shared/datasets/ml-100k');
  }
  const users = Number(values.users);
  const trainMinutes = Number(values['train-minutes']);
  if (!Number.isInteger(users) || users < 1) {
    throw new Error(`--users must be a positive integer, got ${values.users}`);
  }
  if (!(trainMinutes > 0)) {
    throw new Error(`--train-minutes must be a positive number, got ${values['train-minutes']}`);
  }
  const { format, importPath } = detectFormat(values.data);
  return {
    data: values.data,
    format,
    importPath,
    users,
    trainMinutes,
    dataDir: values['data-dir'],
    keep: values.keep,
  };
}

function detectFormat(folder: string): Pick<DemoOptions, 'format' | 'importPath'> {
  if (existsSync(path.join(folder, 'u.data'))) {
    return { format: 'ml-100k', importPath: folder };
  }
  if (existsSync(path.join(folder, 'ratings.dat'))) {
    return { format: 'ml-1m', importPath: folder };
  }
  if (existsSync(path.join(folder, 'train.txt'))) {
    return { format: 'sequential', importPath: path.join(folder, 'train.txt') };
  }
  throw new Error(
    `${folder} contains none of u.data (MovieLens 100K), ratings.dat (MovieLens 1M) or train.txt (sequential)`,
  );
}

function get<T>(agent: Agent, port: number, urlPath: string): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ agent, host: '127.0.0.1', port, path: urlPath }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        try {
          resolve({ status: incoming.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch {
          reject(
            new Error(
              `GET ${urlPath} returned status ${incoming.statusCode} with a body that is not JSON: ${text}`,
            ),
          );
        }
      });
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function environment(options: DemoOptions, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    EMBEDDED_PG_DATA_DIR: path.join(options.dataDir, 'postgres'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // The demo's own service listens on loopback only, so it runs without API keys.
    API_KEY: '',
    ADMIN_API_KEY: '',
  };
}

function runCli(options: DemoOptions, port: number, args: string[]): void {
  console.log(`\n$ qrec ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: environment(options, port),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    throw new Error(`qrec ${args[0]} failed with exit code ${String(result.status)}`);
  }
}

async function waitFor(what: string, seconds: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${what} did not happen within ${seconds} s`);
}

async function importUnlessPresent(options: DemoOptions, agent: Agent, port: number) {
  const users = await get<{ data: unknown[] }>(agent, port, '/users?limit=1');
  if (users.body.data.length > 0) {
    console.log(`\n${options.dataDir} already contains data, so the import is skipped`);
    return;
  }
  runCli(options, port, ['import', options.importPath, '--format', options.format]);
}

async function printUser(agent: Agent, port: number, userId: string): Promise<void> {
  const history = await get<{ data: { itemId: string }[] }>(
    agent,
    port,
    `/users/${encodeURIComponent(userId)}/interactions?limit=5`,
  );
  const titles = await Promise.all(
    history.body.data.map(async (interaction) => {
      const item = await get<{ title: string }>(
        agent,
        port,
        `/items/${encodeURIComponent(interaction.itemId)}`,
      );
      return item.body.title;
    }),
  );
  const list = await get<RecommendationList>(
    agent,
    port,
    `/recommendations?userId=${encodeURIComponent(userId)}&n=5&explain=true`,
  );
  console.log(`\n=== user ${userId} ===`);
  console.log('latest interactions:');
  titles.forEach((title) => console.log(`  - ${title}`));
  console.log(`recommendations (source: ${list.body.source}, model ${list.body.modelVersion}):`);
  for (const item of list.body.items) {
    const because = (item.explanation?.because ?? [])
      .map((entry) => `${entry.title} (${entry.weight.toFixed(2)})`)
      .join('; ');
    console.log(`  ${item.rank}. ${item.title}  [score ${item.score.toFixed(2)}]`);
    if (because.length > 0) {
      console.log(`     interest ${item.explanation?.interest}, because of: ${because}`);
    }
  }
}

async function stop(service: ChildProcess): Promise<void> {
  if (service.exitCode === null) {
    service.kill('SIGTERM');
    await new Promise((resolve) => service.once('exit', resolve));
  }
}

async function main(): Promise<void> {
  const options = readOptions();
  if (!existsSync(SERVICE)) {
    throw new Error(`${SERVICE} is missing: run \`npm run build\` first`);
  }
  const port = await findFreePort();
  console.log(`starting qrec on http://127.0.0.1:${port} (database in ${options.dataDir})`);
  const service = spawn(process.execPath, [SERVICE], {
    env: environment(options, port),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const agent = new Agent({ keepAlive: true });
  try {
    await waitFor('the service start', 180, async () => {
      return (await get(agent, port, '/health/ready')).status === 200;
    });
    await importUnlessPresent(options, agent, port);
    runCli(options, port, [
      'train',
      '--from-db',
      '--activate',
      '--max-minutes',
      String(options.trainMinutes),
    ]);
    await waitFor('the switch to the new model', 60, async () => {
      const list = await get<RecommendationList>(agent, port, '/recommendations?userId=1');
      return list.body.source === 'model';
    });
    const users = await get<{ data: { id: string }[] }>(
      agent,
      port,
      `/users?limit=${options.users}`,
    );
    for (const user of users.body.data) {
      await printUser(agent, port, user.id);
    }
    if (options.keep) {
      console.log(`\nthe service keeps running on http://127.0.0.1:${port}; stop it with Ctrl+C`);
      await new Promise((resolve) => service.once('exit', resolve));
    }
  } finally {
    agent.destroy();
    await stop(service);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
