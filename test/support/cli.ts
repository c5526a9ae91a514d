import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

export const execFileAsync = promisify(execFile);

/** Root of the checkout, where `npm run build` writes `dist/`. */
export const ROOT = path.resolve(__dirname, '../..');

const CLI = path.join(ROOT, 'dist/src/cli/main.js');

/** Exit code and output of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with DATABASE_URL set, as a user would from a shell (no terminal). */
export async function runCli(databaseUrl: string, args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileAsync('node', [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}
