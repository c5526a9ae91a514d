import 'reflect-metadata';
import { setPriority } from 'node:os';
import pino, { Logger } from 'pino';
import { openDataSource } from '../database/data-source';
import { TrainingJob } from './training-job';
import {
  isCancelRunMessage,
  isStartRunMessage,
  RunEndedMessage,
  StartRunMessage,
} from './worker-protocol';

/**
 * Entry point of the training worker process, forked by the API's TrainingRunner. It waits
 * for one start message on the IPC channel, executes that run with its own database
 * connection, reports the result and exits. Training here keeps ONNX Runtime's work off
 * the event loop that serves HTTP.
 */
let currentJob: TrainingJob | undefined;
let started = false;

function main(): void {
  if (process.send === undefined) {
    process.stderr.write('worker-main must be started by the API with child_process.fork\n');
    process.exit(2);
  }
  // The IPC channel closes when the API process exits. Before a run starts there is nothing
  // to clean up, and during a run the job stops at its next step instead of running on
  // without an owner.
  process.once('disconnect', () => {
    if (currentJob === undefined) {
      process.exit(1);
    }
    currentJob.abort('api-process-exited');
  });
  process.on('message', (message: unknown) => {
    if (isCancelRunMessage(message)) {
      currentJob?.abort('cancel-requested');
      return;
    }
    if (!isStartRunMessage(message) || started) {
      process.stderr.write(
        `invalid first message ${JSON.stringify(message)}; expected a start message\n`,
      );
      process.exit(2);
    }
    started = true;
    void executeRun(message);
  });
}

async function executeRun(settings: StartRunMessage): Promise<void> {
  // pino adds pid and hostname to every line; the child adds the run id.
  const logger = pino({ level: settings.logLevel, name: 'qrec-training-worker' }).child({
    runId: settings.runId,
  });
  lowerPriority(settings.niceness, logger);
  let exitCode = 0;
  try {
    const ended = await runWithDatabase(settings, logger);
    exitCode = ended.status === 'succeeded' ? 0 : 1;
    await sendToParent(ended);
  } catch (error: unknown) {
    // Reached only when the database cannot be opened or the run row cannot be written. The
    // API process then marks the run failed, because this process exits without a result.
    logger.error({ err: error }, 'training worker failed');
    exitCode = 1;
  }
  process.exit(exitCode);
}

/**
 * Sets this process's scheduling niceness, so that training runs on CPU time that serving
 * leaves idle. A failure (a platform that rejects it) is logged and training goes on.
 */
function lowerPriority(niceness: number, logger: Logger): void {
  try {
    setPriority(niceness);
  } catch (error: unknown) {
    logger.warn({ err: error, niceness }, 'failed to set the worker niceness; training continues');
  }
}

async function runWithDatabase(
  settings: StartRunMessage,
  logger: Logger,
): Promise<RunEndedMessage> {
  const dataSource = await openDataSource({
    url: settings.databaseUrl,
    poolSize: 2,
    runMigrations: false,
  });
  try {
    currentJob = new TrainingJob(dataSource, settings, logger);
    if (!process.connected) {
      currentJob.abort('api-process-exited');
    }
    return await currentJob.run();
  } finally {
    await dataSource.destroy();
  }
}

function sendToParent(message: RunEndedMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

main();
