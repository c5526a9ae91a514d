import type { ClientBase } from 'pg';
import { writeEventBatch, writeItemBatch } from './batch-writer';
import { ReadProgress } from './line-reader';
import type { EventRecord, ImportSource, ItemRecord, Rejection } from './types';

/** Rows per staging batch and transaction unless the caller sets another size. */
export const DEFAULT_BATCH_SIZE = 50_000;

/** How many rejections the summary keeps; the rest are only counted. */
export const SUMMARY_REJECTION_LIMIT = 10;

export interface ImportSettings {
  batchSize: number;
  /** Stop at the first bad line instead of skipping it. */
  strict: boolean;
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  rowsRead: number;
}

export interface ImportListener {
  onRejection?(rejection: Rejection): void;
  onProgress?(progress: ImportProgress): void;
}

export interface ImportSummary {
  /** Events parsed from the input; each one written is either inserted or a duplicate. */
  rowsRead: number;
  inserted: number;
  /** Events whose event_id was already stored (or repeated in the input). */
  duplicates: number;
  /** Lines skipped because they could not be parsed. */
  rejected: number;
  /** The first rejections, in input order. */
  rejections: Rejection[];
  catalogItemsRead: number;
  usersCreated: number;
  itemsCreated: number;
  elapsedSeconds: number;
  rowsPerSecond: number;
}

/** Raised by a strict import at the first bad line; the summary counts the batches committed. */
export class ImportStoppedError extends Error {
  constructor(
    readonly rejection: Rejection,
    readonly summary: ImportSummary,
  ) {
    super(
      `${rejection.file} line ${rejection.line}: ${rejection.reason}. Import stopped (--strict); ` +
        `nothing of the batch with this line was written, ${summary.inserted} events of ` +
        'earlier batches are stored.',
    );
    this.name = 'ImportStoppedError';
  }
}

/**
 * Imports a source: its catalog items, then its events, in batches of `batchSize` rows.
 * While one batch is written the next one is parsed, so reading and PostgreSQL overlap.
 */
export async function runImport(
  client: ClientBase,
  source: ImportSource,
  settings: ImportSettings,
  listener: ImportListener = {},
): Promise<ImportSummary> {
  const progress = await ReadProgress.forFiles(source.files);
  const run = new ImportRun(client, settings, listener, progress);
  return run.execute(source);
}

class ImportRun {
  private readonly startedAt = process.hrtime.bigint();
  private readonly counts = {
    rowsRead: 0,
    rowsWritten: 0,
    inserted: 0,
    rejected: 0,
    catalogItemsRead: 0,
    usersCreated: 0,
    itemsCreated: 0,
  };
  private readonly rejections: Rejection[] = [];
  /** The event batch being written, and its error once it failed. */
  private pendingWrite: Promise<void> = Promise.resolve();
  private writeError?: { error: unknown };

  constructor(
    private readonly client: ClientBase,
    private readonly settings: ImportSettings,
    private readonly listener: ImportListener,
    private readonly progress: ReadProgress,
  ) {}

  async execute(source: ImportSource): Promise<ImportSummary> {
    await this.importItems(source);
    await this.importEvents(source);
    await this.waitForWrite();
    this.reportProgress();
    return this.summary();
  }

  private async importItems(source: ImportSource): Promise<void> {
    let batch: ItemRecord[] = [];
    for await (const entry of source.items(this.progress)) {
      if ('rejection' in entry) {
        await this.reject(entry.rejection);
        continue;
      }
      batch.push(entry.record);
      this.counts.catalogItemsRead += 1;
      if (batch.length >= this.settings.batchSize) {
        this.counts.itemsCreated += await writeItemBatch(this.client, batch);
        batch = [];
      }
    }
    if (batch.length > 0) {
      this.counts.itemsCreated += await writeItemBatch(this.client, batch);
    }
  }

  private async importEvents(source: ImportSource): Promise<void> {
    let batch: EventRecord[] = [];
    for await (const entry of source.events(this.progress)) {
      if ('rejection' in entry) {
        await this.reject(entry.rejection);
        continue;
      }
      batch.push(entry.record);
      this.counts.rowsRead += 1;
      if (batch.length >= this.settings.batchSize) {
        await this.startEventWrite(batch);
        batch = [];
      } else if (this.counts.rowsRead % 5000 === 0) {
        this.reportProgress();
      }
    }
    if (batch.length > 0) {
      await this.startEventWrite(batch);
    }
  }

  /** Waits for the previous batch, then starts writing this one without waiting for it. */
  private async startEventWrite(batch: EventRecord[]): Promise<void> {
    await this.waitForWrite();
    this.reportProgress();
    this.pendingWrite = writeEventBatch(this.client, batch).then(
      (result) => {
        this.counts.rowsWritten += batch.length;
        this.counts.inserted += result.inserted;
        this.counts.usersCreated += result.usersCreated;
        this.counts.itemsCreated += result.itemsCreated;
      },
      (error: unknown) => {
        this.writeError = { error };
      },
    );
  }

  private async waitForWrite(): Promise<void> {
    await this.pendingWrite;
    if (this.writeError !== undefined) {
      throw this.writeError.error;
    }
  }

  private async reject(rejection: Rejection): Promise<void> {
    this.counts.rejected += 1;
    if (this.rejections.length < SUMMARY_REJECTION_LIMIT) {
      this.rejections.push(rejection);
    }
    this.listener.onRejection?.(rejection);

    if (this.settings.strict) {
      await this.waitForWrite();
      throw new ImportStoppedError(rejection, this.summary());
    }
  }

  private reportProgress(): void {
    this.listener.onProgress?.({
      bytesRead: this.progress.bytesRead,
      totalBytes: this.progress.totalBytes,
      rowsRead: this.counts.rowsRead,
    });
  }

  private summary(): ImportSummary {
    const elapsedSeconds = Number(process.hrtime.bigint() - this.startedAt) / 1e9;
    const { rowsWritten, ...counts } = this.counts;
    return {
      ...counts,
      duplicates: rowsWritten - counts.inserted,
      rejections: [...this.rejections],
      elapsedSeconds,
      rowsPerSecond: elapsedSeconds > 0 ? this.counts.rowsRead / elapsedSeconds : 0,
    };
  }
}
