import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
} from '@nestjs/common';
import type { InferenceSession } from 'onnxruntime-node';
import { Client } from 'pg';
import { ItemVocabulary } from '../model/data/item-vocabulary';
import { resolveConfig } from '../model/qformer/config';
import { QFormerRecommender } from '../model/qformer/recommender';
import {
  MODEL_ACTIVATED_CHANNEL,
  modelLabel,
  ModelRegistry,
  ModelVersionSummary,
} from './model-registry';
import type { ServingModel } from './serving-model';
import { WorkerRecommender } from './worker-recommender';

/** Injection token of {@link ModelServingOptions}. */
export const MODEL_SERVING_OPTIONS = Symbol('MODEL_SERVING_OPTIONS');

export interface ModelServingOptions {
  /** Database of the dedicated LISTEN connection. */
  databaseUrl: string;
  /** Listens for `qrec_model_activated`; false relies on polling alone. */
  listen: boolean;
  /** Milliseconds between checks of the active version; 0 turns polling off. */
  pollIntervalMs: number;
  /** First delay before reconnecting a lost LISTEN connection; it doubles up to 30 s. */
  reconnectDelayMs?: number;
  sessionOptions?: InferenceSession.SessionOptions;
  /** Runs each loaded version in a worker thread of its own (default) instead of this one. */
  worker?: boolean;
}

const MAX_RECONNECT_DELAY_MS = 30_000;

/** PostgreSQL error code of a connection ended by a server shutdown. */
const ADMIN_SHUTDOWN = '57P01';

/** A loaded version and the `use()` calls that still run on it. */
interface Holder {
  model: ServingModel;
  inFlight: number;
  retired: boolean;
}

/**
 * Keeps the active model version loaded. At start-up it loads the active version (or serves
 * none). It follows activations through LISTEN on a dedicated connection and, as a
 * fallback, by polling. On a change it loads the new version completely, swaps it in, and
 * releases the old session once the `use()` calls running on it have settled.
 */
@Injectable()
export class ActiveModelService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ActiveModelService.name);
  private active: Holder | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** Releases started and not yet finished, so that `stop` can wait for them. */
  private readonly releases = new Set<Promise<unknown>>();
  private queued: Promise<void> | null = null;
  private failedVersionId: string | null = null;
  private listener: Client | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelayMs: number;
  private pollTimer: NodeJS.Timeout | null = null;
  /** The poll in progress, which `stop` waits for. */
  private polling: Promise<void> | null = null;
  /** Activations in progress, which `stop` waits for. */
  private readonly activations = new Set<Promise<unknown>>();
  private pollFailures = 0;
  private stopped = false;

  constructor(
    private readonly registry: ModelRegistry,
    @Inject(MODEL_SERVING_OPTIONS) private readonly options: ModelServingOptions,
  ) {
    this.reconnectDelayMs = options.reconnectDelayMs ?? 1000;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  /**
   * Stops before any `onApplicationShutdown` hook, because the database lifecycle stops an
   * embedded PostgreSQL there and the LISTEN connection would otherwise try to reconnect.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Loads the active version, then starts listening and polling. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.refresh().catch((error: unknown) => {
      this.logger.error(`failed to load the active model version: ${describe(error)}`);
    });
    if (this.active === null && this.failedVersionId === null) {
      this.logger.log('no active model version; serving none until one is activated');
    }
    if (this.options.listen) {
      await this.connectListener();
    }
    if (this.options.pollIntervalMs > 0) {
      this.pollTimer = setInterval(() => this.poll(), this.options.pollIntervalMs);
      this.pollTimer.unref();
    }
  }

  /**
   * Stops listening and polling and releases the loaded session once it is idle. Waits for
   * the poll, activations and releases already started, so that no version is loaded after
   * it returns. A version with requests still in flight is released when they settle.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer !== null) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
    if (this.reconnectTimer !== null) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    await this.polling;
    await Promise.allSettled(this.activations);
    await this.chain;
    this.swap(null);
    await Promise.all(this.releases);
  }

  /** Returns the loaded version, or null when none is active. */
  current(): ServingModel | null {
    return this.active?.model ?? null;
  }

  /**
   * Runs `fn` with the loaded version (or null) and keeps that version's session open until
   * `fn` settles, even when another version is swapped in meanwhile.
   */
  async use<T>(fn: (model: ServingModel | null) => Promise<T>): Promise<T> {
    const holder = this.active;
    if (holder === null) {
      return fn(null);
    }
    holder.inFlight += 1;
    try {
      return await fn(holder.model);
    } finally {
      holder.inFlight -= 1;
      this.releaseIfIdle(holder);
    }
  }

  /**
   * Checks the database now and, when another version is active, loads it and swaps it in.
   * Calls made while a check waits to start share it. Rejects when loading fails; the
   * previous version then stays in service. Does nothing once the service has stopped.
   */
  refresh(): Promise<void> {
    if (this.stopped) {
      return Promise.resolve();
    }
    if (this.queued === null) {
      const queued = this.chain.then(() => {
        this.queued = null;
        return this.synchronise();
      });
      this.queued = queued;
      this.chain = queued.catch(() => undefined);
    }
    return this.queued;
  }

  /**
   * Activates a version after loading it here first, so a version that fails to load is
   * never activated by this call, and this instance serves it as soon as the call returns.
   * Other instances follow through NOTIFY or polling.
   */
  activate(id: string): Promise<ModelVersionSummary> {
    const activation = this.loadAndActivate(id);
    trackUntilSettled(this.activations, activation);
    return activation;
  }

  private async loadAndActivate(id: string): Promise<ModelVersionSummary> {
    const summary = await this.registry.get(id);
    const model = await this.load(summary);
    let activated: ModelVersionSummary;
    try {
      activated = await this.registry.activate(id);
    } catch (error) {
      await model.recommender.release();
      throw error;
    }
    await this.enqueue(async () => {
      if (this.stopped) {
        await model.recommender.release();
        return;
      }
      if ((await this.registry.findActiveId()) === id && this.active?.model.versionId !== id) {
        this.swap(model);
        return;
      }
      await model.recommender.release();
      await this.synchronise();
    });
    return activated;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async synchronise(): Promise<void> {
    const activeId = await this.registry.findActiveId();
    const currentId = this.active?.model.versionId ?? null;
    if (activeId === currentId) {
      return;
    }
    if (activeId === null) {
      this.logger.warn(`model version ${String(currentId)} is no longer active; serving none`);
      this.swap(null);
      return;
    }

    try {
      const model = await this.load(await this.registry.get(activeId));
      this.failedVersionId = null;
      this.swap(model);
    } catch (error) {
      this.failedVersionId = activeId;
      throw error;
    }
  }

  private async load(summary: ModelVersionSummary): Promise<ServingModel> {
    const started = performance.now();
    const model =
      this.options.worker === false
        ? await this.loadHere(summary)
        : await this.loadInWorker(summary);
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    this.logger.log(
      `loaded model version ${summary.id} (${model.vocabulary.size} items, windows ` +
        `${model.recommender.windowLengths.join(', ')}${this.options.worker === false ? '' : ', in a worker thread'}) in ${seconds} s`,
    );
    return model;
  }

  /** Loads the version into sessions of a new worker thread. */
  private async loadInWorker(summary: ModelVersionSummary): Promise<ServingModel> {
    const { encoded, eventTypes } = await this.registry.readEncoded(summary.id);
    const recommender = await WorkerRecommender.start(
      encoded,
      modelLabel(summary.id),
      this.options.sessionOptions ?? {},
    );
    // The worker has checked every part against the manifest.
    return {
      versionId: summary.id,
      createdAt: summary.createdAt,
      dataCutoff: summary.dataCutoff,
      recommender,
      vocabulary: ItemVocabulary.fromJSON(encoded.items),
      eventTypes,
      config: resolveConfig(encoded.config),
    };
  }

  /** Loads the version into sessions of this thread. */
  private async loadHere(summary: ModelVersionSummary): Promise<ServingModel> {
    const sessionOptions = this.options.sessionOptions ?? {};
    const artifact = await this.registry.loadArtifact(summary.id, sessionOptions);
    let recommender: QFormerRecommender;
    try {
      // Extra sessions over the same weights run short histories in shorter windows.
      recommender = await QFormerRecommender.withWindows(
        artifact,
        artifact.onnx,
        undefined,
        sessionOptions,
      );
    } catch (error) {
      await artifact.session.release();
      throw error;
    }
    return {
      versionId: summary.id,
      createdAt: summary.createdAt,
      dataCutoff: summary.dataCutoff,
      recommender,
      vocabulary: artifact.vocabulary,
      eventTypes: artifact.eventTypes,
      config: artifact.config,
    };
  }

  private swap(model: ServingModel | null): void {
    const previous = this.active;
    this.active = model === null ? null : { model, inFlight: 0, retired: false };
    if (model !== null) {
      this.logger.log(`serving model version ${model.versionId}`);
    }
    if (previous !== null) {
      previous.retired = true;
      this.releaseIfIdle(previous);
    }
  }

  private releaseIfIdle(holder: Holder): void {
    if (!holder.retired || holder.inFlight > 0) {
      return;
    }
    const versionId = holder.model.versionId;
    const release = holder.model.recommender.release().then(
      () => this.logger.log(`released model version ${versionId}`),
      (error: unknown) =>
        this.logger.error(`failed to release model version ${versionId}: ${describe(error)}`),
    );
    trackUntilSettled(this.releases, release);
  }

  /** Starts a check of the active id unless one is running or the service has stopped. */
  private poll(): void {
    if (this.polling !== null || this.stopped) {
      return;
    }
    this.polling = this.checkActiveVersion().finally(() => {
      this.polling = null;
    });
  }

  /** Checks the active id. A version that failed to load is skipped until a notification. */
  private async checkActiveVersion(): Promise<void> {
    try {
      const activeId = await this.registry.findActiveId();
      const currentId = this.active?.model.versionId ?? null;
      if (activeId !== currentId && activeId !== this.failedVersionId) {
        await this.refresh();
      }
      if (this.pollFailures > 0) {
        this.logger.log(`model version poll recovered after ${this.pollFailures} failures`);
        this.pollFailures = 0;
      }
    } catch (error) {
      // A database outage fails every poll, so only the first and every 30th failure log.
      if (this.pollFailures % 30 === 0) {
        this.logger.error(
          `model version poll failed (${this.pollFailures + 1} in a row): ${describe(error)}`,
        );
      }
      this.pollFailures += 1;
    }
  }

  private refreshAfter(reason: string): void {
    this.refresh().catch((error: unknown) => {
      this.logger.error(`model version refresh after ${reason} failed: ${describe(error)}`);
    });
  }

  private async connectListener(): Promise<void> {
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: 'qrec-model-listener',
    });
    client.on('notification', (message) => {
      if (message.channel === MODEL_ACTIVATED_CHANNEL) {
        this.refreshAfter(`NOTIFY ${message.payload ?? ''}`);
      }
    });
    client.on('error', (error) => {
      // 57P01 (admin_shutdown) means the server stopped on purpose, as an embedded server does
      // when Ctrl+C reaches the whole process group. The reconnect below covers a restart.
      if ((error as { code?: string }).code === ADMIN_SHUTDOWN) {
        this.logger.log(`LISTEN connection closed by a database shutdown: ${error.message}`);
      } else {
        this.logger.warn(`LISTEN connection failed: ${error.message}`);
      }
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));

    try {
      await client.connect();
      await client.query(`LISTEN ${MODEL_ACTIVATED_CHANNEL}`);
    } catch (error) {
      this.logger.warn(`cannot LISTEN on ${MODEL_ACTIVATED_CHANNEL}: ${describe(error)}`);
      this.reconnect(client);
      return;
    }
    if (this.stopped) {
      await client.end();
      return;
    }
    this.listener = client;
    this.reconnectDelayMs = this.options.reconnectDelayMs ?? 1000;
    this.logger.log(`listening on ${MODEL_ACTIVATED_CHANNEL}`);
  }

  /** Replaces a lost LISTEN connection after a growing delay, then checks what it missed. */
  private reconnect(client: Client): void {
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
    if (this.listener === client) {
      this.listener = null;
    }
    if (this.stopped || this.reconnectTimer !== null) {
      return;
    }
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
    this.logger.log(`reconnecting the LISTEN connection in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connectListener().then(() => {
        if (this.listener !== null) {
          // Notifications sent while disconnected are lost.
          this.refreshAfter('reconnecting');
        }
      });
    }, delay);
    this.reconnectTimer.unref();
  }
}

/** Keeps `task` in `tasks` until it settles, so that `stop` can wait for it. */
function trackUntilSettled(tasks: Set<Promise<unknown>>, task: Promise<unknown>): void {
  tasks.add(task);
  const remove = () => tasks.delete(task);
  void task.then(remove, remove);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
