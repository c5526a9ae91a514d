import { ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import {
  CancelRunMessage,
  isRunEndedMessage,
  RunEndedMessage,
  StartRunMessage,
} from './worker-protocol';

/** Outcome of a worker process: its reported result (if any), exit code and signal. */
export interface WorkerExit {
  result: RunEndedMessage | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Path of the compiled worker entry point. Running from `dist`, it is next to this file.
 * Running from TypeScript sources (ts-jest, ts-node), the compiled copy under `dist` is used,
 * so `npm run build` must have run.
 */
export function workerEntryPoint(): string {
  if (__filename.endsWith('.js')) {
    return path.join(__dirname, 'worker-main.js');
  }
  return path.resolve(__dirname, '../../dist/src/training/worker-main.js');
}

/** A forked training worker process running one run. */
export class WorkerProcess {
  private result: RunEndedMessage | undefined;
  readonly exited: Promise<WorkerExit>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.on('message', (message: unknown) => {
        if (isRunEndedMessage(message)) {
          this.result = message;
        }
      });
      child.once('exit', (code, signal) => resolve({ result: this.result, code, signal }));
    });
  }

  /** Forks the worker and sends it the run to execute. */
  static start(message: StartRunMessage): WorkerProcess {
    const entry = workerEntryPoint();
    if (!existsSync(entry)) {
      throw new Error(`training worker entry point ${entry} is missing; run \`npm run build\``);
    }
    const child = fork(entry, [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const worker = new WorkerProcess(child);
    child.send(message);
    return worker;
  }

  /** Relays a cancel request. The worker would also find it in the database within a second. */
  sendCancel(runId: string): void {
    if (this.child.connected) {
      this.child.send({ type: 'cancel', runId } satisfies CancelRunMessage);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends SIGTERM, then SIGKILL when the process has not exited after `graceMs`. */
  async stop(graceMs: number): Promise<WorkerExit> {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Describes a worker exit without a result, for the run's error. */
export function describeWorkerExit(pid: number | undefined, exit: WorkerExit): string {
  const ending = exit.signal === null ? `with code ${exit.code}` : `by signal ${exit.signal}`;
  return `training worker process ${pid ?? '(unknown pid)'} exited ${ending} before reporting a result`;
}
