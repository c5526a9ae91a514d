import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { createWriteStream, WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '../../config/app-config';
import { openDataSource } from '../../database/data-source';
import { recommendForAllUsers } from '../../recommendations/bulk-recommendations';
import type { RecommendationList } from '../../recommendations/recommendation.types';
import { RecommendationsRepository } from '../../recommendations/recommendations.repository';
import { RecommendationsService } from '../../recommendations/recommendations.service';
import { FixedModelProvider } from '../../recommendations/registry-model-provider';
import { ensureSchema, logToStderr, withDatabase } from '../cli-database';

interface RecommendFlags {
  all: boolean;
  n: number;
  batchSize: number;
  out?: string;
  progress: boolean;
}

/** Connections for the concurrent requests of one batch. */
const POOL_SIZE = 4;

/** Adds `qrec recommend --all`, which serves and stores a list for every user. */
export function registerRecommendCommand(program: Command): void {
  program
    .command('recommend')
    .description(
      'Serve a recommendation list to every user with the active model (popular items for ' +
        'users without history), store each list as GET /recommendations does, and write ' +
        'them as JSON lines',
    )
    .requiredOption('--all', 'recommend for every user (required)')
    .option('--n <count>', 'items per user, 1 to 100', parseInteger(1, 100), 10)
    .option(
      '--batch-size <users>',
      'users whose requests run together, 1 to 1024',
      parseInteger(1, 1024),
      64,
    )
    .option('--out <file>', 'write the JSON lines to this file instead of stdout')
    .option('--no-progress', 'hide the progress bar (shown only when stderr is a terminal)')
    .action(async (flags: RecommendFlags) => {
      const config = loadConfig();
      await withDatabase(config, async (url) => {
        await ensureSchema(url, config);
        const dataSource = await openDataSource({ url, poolSize: POOL_SIZE, runMigrations: false });
        try {
          await recommendAll(dataSource, config, flags);
        } finally {
          await dataSource.destroy();
        }
      });
    });
}

async function recommendAll(
  dataSource: DataSource,
  config: AppConfig,
  flags: RecommendFlags,
): Promise<void> {
  const models = await FixedModelProvider.open(dataSource, { intraOpNumThreads: 1 });
  logToStderr(
    models.versionId === null
      ? 'no active model version; every user gets the popular list'
      : `recommending with model version ${models.versionId}`,
  );
  const service = new RecommendationsService(
    new RecommendationsRepository(dataSource),
    models,
    config.recommendations,
  );
  const output = flags.out === undefined ? process.stdout : createWriteStream(flags.out);
  const bar =
    flags.progress && process.stderr.isTTY === true
      ? new SingleBar(
          {
            format:
              'recommending [{bar}] {percentage}% | {value}/{total} users | {eta_formatted} left',
            stream: process.stderr,
            hideCursor: true,
          },
          Presets.shades_classic,
        )
      : undefined;

  const started = Date.now();
  try {
    const summary = await recommendForAllUsers(dataSource, service, {
      n: flags.n,
      batchSize: flags.batchSize,
      write: (list) => writeLine(output, list),
      onProgress: (done, total) => {
        if (bar !== undefined && done === 0) {
          bar.start(total, 0);
        }
        bar?.update(done);
      },
    });
    bar?.stop();
    const seconds = (Date.now() - started) / 1000;
    logToStderr(
      `wrote ${summary.users} lists (${summary.fromModel} from the model, ` +
        `${summary.fromPopular} popular) in ${seconds.toFixed(1)} s`,
    );
  } finally {
    bar?.stop();
    await models.close();
    if (output instanceof WriteStream) {
      output.end();
      await once(output, 'close');
    }
  }
}

async function writeLine(output: NodeJS.WritableStream, list: RecommendationList): Promise<void> {
  if (!output.write(`${JSON.stringify(list)}\n`)) {
    await once(output, 'drain');
  }
}

function parseInteger(minimum: number, maximum: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < minimum || value > maximum) {
      throw new InvalidArgumentError(`expected an integer from ${minimum} to ${maximum}`);
    }
    return value;
  };
}
