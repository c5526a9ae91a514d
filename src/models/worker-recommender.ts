import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import type { InteractionSequence } from '../model/qformer/batch';
import { type EncodedModel, ModelLoadError } from '../model/qformer/model-store';
import type { RecommendOptions, Recommendations } from '../model/qformer/recommender';
import type { InferenceWorkerData } from './inference-worker';
import type { ServingRecommender } from './serving-model';
import type { WorkerReply, WorkerRequest } from './worker-protocol';

const logger = new Logger('WorkerRecommender');

/** How long a worker may take to release its sessions and end before it is terminated. */
export const WORKER_EXIT_TIMEOUT_MS = 10_000;

interface PendingCall {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
}

/** Distributes a request without its id, so that `call` can add one. */
type RequestBody = WorkerRequest extends infer R
  ? R extends WorkerRequest
    ? Omit<R, 'id'>
    : never
  : never;

/**
 * Runs a model version in a worker thread of its own. ONNX Runtime computes on the calling
 * thread, so runs made here do not block the event loop that serves HTTP and PostgreSQL.
 * Outputs come back as transferred buffers, without a copy.
 */
export class WorkerRecommender implements ServingRecommender {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private failure: Error | null = null;
  private releasing: Promise<void> | null = null;
  private readonly ready: Promise<Extract<WorkerReply, { type: 'ready' }>>;
  private info: { interestCount: number; windowLengths: number[] } | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly label: string,
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      // The first message reports whether the model loaded; later ones are replies.
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          resolve(reply);
        } else if (reply.type === 'failed') {
          reject(new ModelLoadError(reply.message));
        } else {
          this.settle(reply);
        }
      });
      worker.on('error', (error) => {
        logger.error(`inference worker of ${label} failed: ${error.message}`);
        reject(error);
        this.fail(error);
      });
      worker.on('exit', (code) => {
        const error = new Error(`inference worker of ${label} exited with code ${code}`);
        if (this.info !== null && this.releasing === null) {
          // NOTE: the version stays active, and its requests fail until another activation.
          logger.error(error.message);
        }
        reject(error);
        this.fail(error);
      });
    });
  }

  /**
   * Starts a worker that loads `encoded` with the same checks as `loadEncodedModel`.
   * Rejects with ModelLoadError when the worker cannot load it.
   */
  static async start(
    encoded: EncodedModel,
    label: string,
    sessionOptions: InferenceSession.SessionOptions = {},
  ): Promise<WorkerRecommender> {
    const data: InferenceWorkerData = { encoded, label, sessionOptions };
    const recommender = new WorkerRecommender(createWorker(data), label);
    try {
      const ready = await recommender.ready;
      recommender.info = { interestCount: ready.interestCount, windowLengths: ready.windowLengths };
    } catch (error) {
      await recommender.waitForExit(startDeadline(WORKER_EXIT_TIMEOUT_MS));
      throw error;
    }
    return recommender;
  }

  get interestCount(): number {
    return this.loaded().interestCount;
  }

  get windowLengths(): number[] {
    return this.loaded().windowLengths;
  }

  async recommend(
    histories: readonly InteractionSequence[],
    options: RecommendOptions = {},
  ): Promise<Recommendations> {
    const reply = await this.call({ type: 'recommend', histories: [...histories], options });
    return (reply as Extract<WorkerReply, { type: 'recommended' }>).result;
  }

  async itemEmbeddings(): Promise<Float32Array | null> {
    const reply = await this.call({ type: 'itemEmbeddings' });
    return (reply as Extract<WorkerReply, { type: 'itemEmbeddings' }>).table;
  }

  /**
   * Releases the sessions and waits for the worker to end, at most WORKER_EXIT_TIMEOUT_MS
   * from this call. Calls already in flight complete first, and later calls reject.
   */
  release(): Promise<void> {
    this.releasing ??= this.releaseAndExit();
    return this.releasing;
  }

  private async releaseAndExit(): Promise<void> {
    const deadline = startDeadline(WORKER_EXIT_TIMEOUT_MS);
    const released = this.call({ type: 'release' }).then(
      () => undefined,
      () => undefined,
    );
    await Promise.race([released, deadline.expired]);
    this.fail(new Error('the model was released'));
    await this.waitForExit(deadline);
  }

  /**
   * Waits for the worker to end by itself, as it does after `release` or a failed load.
   * Terminating a thread that still runs ONNX Runtime code can abort the whole process
   * (`terminate called after throwing an instance of 'Napi::Error'`), so termination is
   * only the fallback for a worker that has not ended by the deadline.
   */
  private async waitForExit(deadline: Deadline): Promise<void> {
    const exited = await Promise.race([this.exited.then(() => true), deadline.expired]);
    deadline.cancel();
    if (!exited) {
      // NOTE: no test makes a worker miss its deadline, so this branch has not run.
      logger.warn(
        `inference worker of ${this.label} did not end within ${WORKER_EXIT_TIMEOUT_MS} ms; terminating it`,
      );
      await this.worker.terminate();
    }
  }

  private loaded(): { interestCount: number; windowLengths: number[] } {
    if (this.info === null) {
      throw new Error('the inference worker has not loaded its model');
    }
    return this.info;
  }

  private call(body: RequestBody): Promise<WorkerReply> {
    if (this.failure !== null) {
      return Promise.reject(this.failure);
    }
    const id = this.nextId;
    this.nextId += 1;
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id });
    });
  }

  private settle(reply: WorkerReply): void {
    if (!('id' in reply)) {
      return;
    }
    const call = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.type === 'error') {
      call?.reject(new Error(reply.message));
    } else {
      call?.resolve(reply);
    }
  }

  /** Rejects every call in flight and every later call with `error`. */
  private fail(error: Error): void {
    this.failure ??= error;
    for (const call of this.pending.values()) {
      call.reject(this.failure);
    }
    this.pending.clear();
  }
}

interface Deadline {
  /** Resolves to false when the time is up, unless cancelled first. */
  expired: Promise<false>;
  cancel(): void;
}

function startDeadline(milliseconds: number): Deadline {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), milliseconds);
  });
  return { expired, cancel: () => clearTimeout(timer) };
}

/**
 * Starts the compiled worker script; under ts-node or jest, where only the TypeScript
 * source exists, it registers ts-node in the worker first.
 */
function createWorker(data: InferenceWorkerData): Worker {
  const compiled = path.join(__dirname, 'inference-worker.js');
  if (existsSync(compiled)) {
    return new Worker(compiled, { workerData: data });
  }
  const source = path.join(__dirname, 'inference-worker.ts');
  const script =
    `require('ts-node').register({ transpileOnly: true });\n` +
    `require(${JSON.stringify(source)});`;
  return new Worker(script, { eval: true, workerData: data });
}
