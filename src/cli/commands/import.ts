import { MultiBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import * as path from 'node:path';
import { Client } from 'pg';
import { AppConfig, loadConfig } from '../../config/app-config';
import {
  DEFAULT_BATCH_SIZE,
  ImportListener,
  ImportStoppedError,
  ImportSummary,
  runImport,
} from '../../import/importer';
import { openImportSource } from '../../import/open-source';
import { formatRejection, formatSummary } from '../../import/summary';
import { IMPORT_FORMATS, ImportFormat, ImportSource, Rejection } from '../../import/types';
import { ensureSchema, logToStderr, withDatabase } from '../cli-database';

interface ImportCommandOptions {
  format: ImportFormat;
  eventType?: string;
  map?: string;
  delimiter: string;
  header: boolean;
  encoding: 'utf8' | 'latin1';
  timeUnit: 's' | 'ms';
  startTime?: Date;
  batchSize: number;
  strict?: boolean;
  json?: boolean;
  progress: boolean;
}

/** Rejected lines printed to stderr while importing; the summary counts all of them. */
const PRINTED_REJECTION_LIMIT = 20;

/** `qrec import <path> --format …`: bulk import of users, items and interactions. */
export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description(
      'import users, items and interaction events from MovieLens, sequential, CSV or JSON-lines files',
    )
    .argument('<path>', 'input file, or the dataset folder for ml-100k and ml-1m')
    .addOption(
      new Option('--format <format>', 'input format').choices(IMPORT_FORMATS).makeOptionMandatory(),
    )
    .option(
      '--event-type <type>',
      'event type of the events (default: rating for ml-100k and ml-1m, view for sequential; for csv and jsonl, of rows without a type value)',
    )
    .option(
      '--map <mapping>',
      'csv/jsonl: field=column pairs, e.g. userId=user_id,itemId=product,type=event,occurredAt=ts,value=rating,eventId=id',
    )
    .option('--delimiter <character>', 'csv: field delimiter (use \\t or tab for a tab)', ',')
    .option('--no-header', 'csv: the file has no header row; --map gives 1-based column numbers')
    .addOption(
      new Option('--encoding <encoding>', 'csv/jsonl: text encoding')
        .choices(['utf8', 'latin1'])
        .default('utf8'),
    )
    .addOption(
      new Option(
        '--time-unit <unit>',
        'csv/jsonl: unit of numeric occurredAt values (Unix seconds or milliseconds)',
      )
        .choices(['s', 'ms'])
        .default('s'),
    )
    .option(
      '--start-time <timestamp>',
      'sequential: ISO 8601 time of the first event of each user; later events follow 1 s apart (default 2000-01-01T00:00:00Z)',
      parseTimestamp,
    )
    .option(
      '--batch-size <rows>',
      'rows per staging batch and transaction',
      parseBatchSize,
      DEFAULT_BATCH_SIZE,
    )
    .option('--strict', 'stop at the first line that does not parse instead of skipping it')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--no-progress', 'hide the progress bar (shown only when stderr is a terminal)')
    .action(async (inputPath: string, options: ImportCommandOptions, command: Command) => {
      rejectOptionsOfOtherFormats(command, options.format);
      const config = loadConfig();
      const source = await openImportSource(inputPath, {
        format: options.format,
        eventType: options.eventType,
        allowedEventTypes: config.interactions.eventTypes,
        mapping: options.map,
        delimiter: options.delimiter,
        header: options.header,
        encoding: options.encoding,
        timeUnit: options.timeUnit,
        sequenceStart: options.startTime,
      });

      let summary: ImportSummary;
      try {
        summary = await withDatabase(config, (url) =>
          importIntoDatabase(url, config, source, options),
        );
      } catch (error) {
        if (error instanceof ImportStoppedError) {
          printSummary(inputPath, error.summary, options, true);
        }
        throw error;
      }
      printSummary(inputPath, summary, options, false);
    });
}

async function importIntoDatabase(
  url: string,
  config: AppConfig,
  source: ImportSource,
  options: ImportCommandOptions,
): Promise<ImportSummary> {
  await ensureSchema(url, config);

  const client = new Client({ connectionString: url, application_name: 'qrec-import' });
  await client.connect();
  const reporter = new ImportReporter(options.progress && process.stderr.isTTY === true);

  try {
    return await runImport(
      client,
      source,
      { batchSize: options.batchSize, strict: options.strict === true },
      reporter,
    );
  } finally {
    reporter.stop();
    await client.end();
  }
}

function printSummary(
  inputPath: string,
  summary: ImportSummary,
  options: ImportCommandOptions,
  stopped: boolean,
): void {
  if (options.json === true) {
    console.log(JSON.stringify({ input: inputPath, format: options.format, stopped, ...summary }));
  } else {
    console.log(formatSummary(path.basename(inputPath), summary, stopped));
  }
}

/** Shows the progress bar on a terminal and prints rejected lines to stderr. */
class ImportReporter implements ImportListener {
  private readonly bars?: MultiBar;
  private bar?: ReturnType<MultiBar['create']>;
  private printedRejections = 0;

  constructor(showProgress: boolean) {
    if (showProgress) {
      this.bars = new MultiBar(
        {
          format: 'importing [{bar}] {percentage}% | {rows} rows | {eta_formatted} left',
          stream: process.stderr,
          hideCursor: true,
        },
        Presets.shades_classic,
      );
    }
  }

  onProgress(progress: { bytesRead: number; totalBytes: number; rowsRead: number }): void {
    if (this.bars === undefined) {
      return;
    }
    this.bar ??= this.bars.create(Math.max(progress.totalBytes, 1), 0, { rows: 0 });
    this.bar.update(progress.bytesRead, { rows: progress.rowsRead });
  }

  onRejection(rejection: Rejection): void {
    this.printedRejections += 1;
    if (this.printedRejections <= PRINTED_REJECTION_LIMIT) {
      this.log(`skipped ${formatRejection(rejection)}`);
    } else if (this.printedRejections === PRINTED_REJECTION_LIMIT + 1) {
      this.log('more lines were rejected; the summary counts them');
    }
  }

  log(message: string): void {
    if (this.bars !== undefined && this.bar !== undefined) {
      // The bars write buffered lines above themselves at their next redraw.
      this.bars.log(`qrec: ${message}\n`);
    } else {
      logToStderr(message);
    }
  }

  stop(): void {
    if (this.bars !== undefined && this.bar !== undefined) {
      // A redraw flushes lines logged since the last one; stop() alone would drop them.
      this.bars.update();
      this.bars.stop();
    }
    this.bar = undefined;
  }
}

/** Options that only some formats read, by commander's attribute name. */
const FORMAT_OPTIONS: Record<string, readonly ImportFormat[]> = {
  map: ['csv', 'jsonl'],
  delimiter: ['csv'],
  header: ['csv'],
  encoding: ['csv', 'jsonl'],
  timeUnit: ['csv', 'jsonl'],
  startTime: ['sequential'],
};

/** Fails on an option that the chosen format would ignore, which is most likely a mistake. */
function rejectOptionsOfOtherFormats(command: Command, format: ImportFormat): void {
  for (const [name, formats] of Object.entries(FORMAT_OPTIONS)) {
    if (command.getOptionValueSource(name) === 'cli' && !formats.includes(format)) {
      const option = command.options.find((candidate) => candidate.attributeName() === name);
      throw new Error(
        `${option?.long ?? name} applies only to --format ${formats.join(' or ')}, not ${format}`,
      );
    }
  }
}

function parseBatchSize(text: string): number {
  const size = Number(text);
  if (!Number.isInteger(size) || size < 1 || size > 1_000_000) {
    throw new InvalidArgumentError('expected an integer from 1 to 1000000');
  }
  return size;
}

function parseTimestamp(text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime()) || !/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) {
    throw new InvalidArgumentError(
      'expected an ISO 8601 timestamp with a time zone, e.g. 2000-01-01T00:00:00Z',
    );
  }
  return date;
}
