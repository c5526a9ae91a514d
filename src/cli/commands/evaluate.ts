import { Command, InvalidArgumentError, Option } from 'commander';
import { BASELINE_NAMES, BaselineName, fitBaseline, isBaselineName } from '../../model/baselines';
import {
  DATA_FORMATS,
  DataFormat,
  detectDataFormat,
  LoadedData,
  loadDataFolder,
} from '../../model/data/data-folder';
import { EvaluationSet } from '../../model/data/split';
import { EvaluationReport, evaluateRanking } from '../../model/eval/ranking-evaluation';
import { Scorer } from '../../model/eval/scorer';

const SPLITS = ['validation', 'test'] as const;
type SplitName = (typeof SPLITS)[number];

interface EvaluateCommandOptions {
  data: string;
  format?: DataFormat;
  split?: SplitName;
  k: number;
  sampledNegatives: number;
  seed: number;
  baselines: BaselineName[];
  json?: boolean;
}

/** One recommender to evaluate: a baseline now, a trained model later. */
interface NamedScorer {
  name: string;
  /** Seconds spent fitting or loading the recommender. */
  fitSeconds: number;
  scorer: Scorer;
}

interface RecommenderResult {
  recommender: string;
  fitSeconds: number;
  evaluationSeconds: number;
  report: EvaluationReport;
}

/** Adds `qrec evaluate`, the offline evaluation of recommenders on a data folder. */
export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description(
      'Evaluate recommenders offline: full ranking over all items with each user history ' +
        'removed, reporting HR@K, NDCG@K, MRR, catalogue coverage and mean popularity',
    )
    .requiredOption('--data <folder>', 'data folder to read')
    .addOption(
      new Option(
        '--format <format>',
        'layout of the data folder (detected from its files when omitted)',
      ).choices(DATA_FORMATS),
    )
    .addOption(
      new Option(
        '--split <split>',
        'evaluation set (default: test for leave-one-out splits, validation when the folder ' +
          'provides val_input.txt and val_target.txt)',
      ).choices(SPLITS),
    )
    .option('--k <number>', 'cut-off K of HR@K and NDCG@K', parseInteger(1), 10)
    .option(
      '--sampled-negatives <number>',
      'also rank each target among this many seeded random negatives outside the history ' +
        '(0: full ranking only)',
      parseInteger(0),
      0,
    )
    .option('--seed <number>', 'seed of the negative sampler', parseInteger(0), 42)
    .option(
      '--baselines <names>',
      `comma-separated baselines to evaluate (${BASELINE_NAMES.join(', ')})`,
      parseBaselineNames,
      [...BASELINE_NAMES],
    )
    .option('--json', 'print the results as JSON instead of tables')
    .action(async (options: EvaluateCommandOptions) => {
      await runEvaluate(options);
    });
}

async function runEvaluate(options: EvaluateCommandOptions): Promise<void> {
  const format = options.format ?? (await detectDataFormat(options.data));
  logProgress(`loading ${options.data} as ${format}`);
  const data = await loadDataFolder(options.data, format);
  const split = chooseSplit(data, options.split);
  const evaluationSet = split === 'test' ? data.test : data.validation;
  if (evaluationSet === undefined) {
    throw new Error(`split "test" is not available for data folder "${options.data}"`);
  }

  const itemPopularity = data.train.itemCounts(data.vocabulary.size);
  const results: RecommenderResult[] = [];
  for (const recommender of buildRecommenders(options.baselines, data)) {
    logProgress(`evaluating ${recommender.name}`);
    const started = performance.now();
    const report = await evaluateRanking(recommender.scorer, evaluationSet, data.vocabulary.size, {
      itemPopularity,
      k: options.k,
      sampledNegatives: options.sampledNegatives,
      seed: options.seed,
    });
    results.push({
      recommender: recommender.name,
      fitSeconds: recommender.fitSeconds,
      evaluationSeconds: (performance.now() - started) / 1000,
      report,
    });
  }

  const summary = summariseData(options.data, data, split, evaluationSet);
  console.log(options.json === true ? toJson(summary, results) : toTables(summary, results));
}

/**
 * Fits the requested baselines on the training sequences.
 * TODO: add a --model <path> option that loads a trained ONNX model and appends its scorer
 * here, so that the model is evaluated on the same users and items as the baselines.
 */
function buildRecommenders(names: BaselineName[], data: LoadedData): NamedScorer[] {
  return names.map((name) => {
    logProgress(`fitting ${name}`);
    const started = performance.now();
    const scorer = fitBaseline(name, data.train, data.vocabulary.size);
    return { name, fitSeconds: (performance.now() - started) / 1000, scorer };
  });
}

function chooseSplit(data: LoadedData, requested: SplitName | undefined): SplitName {
  if (requested === 'test' && data.test === undefined) {
    throw new Error(
      'split "test" is not available: this folder provides its own validation files, ' +
        'use --split validation',
    );
  }
  return requested ?? (data.test === undefined ? 'validation' : 'test');
}

interface DataSummary {
  data: string;
  format: DataFormat;
  split: SplitName;
  evaluatedUsers: number;
  itemCount: number;
  trainingUsers: number;
  trainingInteractions: number;
  trainOnlyUsers: number;
}

function summariseData(
  folder: string,
  data: LoadedData,
  split: SplitName,
  evaluationSet: EvaluationSet,
): DataSummary {
  return {
    data: folder,
    format: data.format,
    split,
    evaluatedUsers: evaluationSet.targets.length,
    itemCount: data.vocabulary.size,
    trainingUsers: data.train.userCount,
    trainingInteractions: data.train.interactionCount,
    trainOnlyUsers: data.trainOnlyUserCount,
  };
}

function toJson(summary: DataSummary, results: RecommenderResult[]): string {
  const recommenders = results.map(({ recommender, fitSeconds, evaluationSeconds, report }) => ({
    recommender,
    fitSeconds,
    evaluationSeconds,
    k: report.k,
    full: report.full,
    ...(report.sampled === undefined ? {} : { sampled: report.sampled }),
  }));
  return JSON.stringify({ ...summary, recommenders }, null, 2);
}

function toTables(summary: DataSummary, results: RecommenderResult[]): string {
  const k = results[0]?.report.k ?? 0;
  const lines = [
    `data: ${summary.data} (${summary.format}), split: ${summary.split}`,
    `training: ${summary.trainingUsers} users, ${summary.trainingInteractions} interactions; ` +
      `evaluated users: ${summary.evaluatedUsers}; items: ${summary.itemCount}`,
    '',
    `Full ranking over all ${summary.itemCount} items, history removed, top ${k}`,
    ...formatTable(
      ['recommender', `HR@${k}`, `NDCG@${k}`, 'MRR', 'coverage', 'mean popularity', 'seconds'],
      results.map(({ recommender, report, fitSeconds, evaluationSeconds }) => [
        recommender,
        report.full.hitRate.toFixed(4),
        report.full.ndcg.toFixed(4),
        report.full.mrr.toFixed(4),
        report.full.coverage.toFixed(4),
        report.full.meanPopularity.toFixed(1),
        (fitSeconds + evaluationSeconds).toFixed(2),
      ]),
    ),
  ];

  const sampled = results.filter((result) => result.report.sampled !== undefined);
  const first = sampled[0]?.report.sampled;
  if (first !== undefined) {
    lines.push(
      '',
      `Sampled ranking: target among ${first.negatives} random negatives (seed ${first.seed})`,
      ...formatTable(
        ['recommender', `HR@${k}`, `NDCG@${k}`, 'MRR'],
        sampled.map(({ recommender, report }) => [
          recommender,
          report.sampled?.hitRate.toFixed(4) ?? '',
          report.sampled?.ndcg.toFixed(4) ?? '',
          report.sampled?.mrr.toFixed(4) ?? '',
        ]),
      ),
    );
  }
  return lines.join('\n');
}

/** Left-aligns the first column and right-aligns the others. */
function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const formatRow = (cells: string[]): string =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
      )
      .join('  ');
  return [formatRow(header), ...rows.map(formatRow)];
}

function parseInteger(minimum: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < minimum) {
      throw new InvalidArgumentError(`expected an integer of at least ${minimum}, got "${value}".`);
    }
    return parsed;
  };
}

function parseBaselineNames(value: string): BaselineName[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.length === 0) {
    throw new InvalidArgumentError(`expected one or more of ${BASELINE_NAMES.join(', ')}.`);
  }
  for (const name of names) {
    if (!isBaselineName(name)) {
      throw new InvalidArgumentError(
        `unknown baseline "${name}"; allowed: ${BASELINE_NAMES.join(', ')}.`,
      );
    }
  }
  return names as BaselineName[];
}

/** Progress goes to stderr so that `--json` output on stdout stays parseable. */
function logProgress(message: string): void {
  console.error(`qrec evaluate: ${message}`);
}
