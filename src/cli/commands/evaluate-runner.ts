import { BaselineName, fitBaseline } from '../../model/baselines';
import {
  DataFormat,
  detectDataFormat,
  LoadedData,
  loadDataFolder,
} from '../../model/data/data-folder';
import { EvaluationSet, MIN_ITEMS_FOR_EVALUATION } from '../../model/data/split';
import { EvaluationReport, evaluateRanking } from '../../model/eval/ranking-evaluation';
import { Scorer } from '../../model/eval/scorer';
import { QFormerConfig } from '../../model/qformer/config';
import { loadModel } from '../../model/qformer/model-store';
import { QFormerRecommender, scorerForVocabulary } from '../../model/qformer/recommender';
import { DEFAULT_TRAINER_OPTIONS } from '../../model/qformer/trainer';
import { SequenceDataset } from '../../model/data/sequence-dataset';
import { DEFAULT_HOLDOUT_USERS, selectionPlan } from './train-runner';

// Kept apart from the commander wiring in evaluate.ts because commander 15 is an ES module
// that Jest cannot load under Node 20, so the specs test this file directly.

export const SPLITS = ['validation', 'test', 'holdout'] as const;
export type SplitName = (typeof SPLITS)[number];

export interface EvaluateCommandOptions {
  data: string;
  format?: DataFormat;
  split?: SplitName;
  k: number;
  sampledNegatives: number;
  seed: number;
  baselines: BaselineName[];
  /** Saved model directory to evaluate next to the baselines. */
  model?: string;
  /** Holdout seed of the training runs that selected on split `holdout`. */
  holdoutSeed?: number;
  /** Number of held-out users of those training runs. */
  holdoutUsers?: number;
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

/** Loads the data folder, evaluates each recommender and prints the results to stdout. */
export async function runEvaluate(options: EvaluateCommandOptions): Promise<void> {
  const format = options.format ?? (await detectDataFormat(options.data));
  logProgress(`loading ${options.data} as ${format}`);
  const data = await loadDataFolder(options.data, format);
  const { split, evaluationSet, train } = selectEvaluationSet(data, options);

  const itemPopularity = train.itemCounts(data.vocabulary.size);
  const results: RecommenderResult[] = [];
  const recommenders = buildRecommenders(options.baselines, train, data.vocabulary.size);
  const model =
    options.model === undefined ? undefined : await loadTrainedModel(options.model, data);
  if (model !== undefined) {
    recommenders.push(model.named);
  }
  for (const recommender of recommenders) {
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

  await model?.recommender.release();

  const summary = summariseData(options.data, data, { split, evaluationSet, train });
  console.log(options.json === true ? toJson(summary, results) : toTables(summary, results));
}

/** Fits the requested baselines on the training sequences. */
function buildRecommenders(
  names: BaselineName[],
  train: SequenceDataset,
  itemCount: number,
): NamedScorer[] {
  return names.map((name) => {
    logProgress(`fitting ${name}`);
    const started = performance.now();
    const scorer = fitBaseline(name, train, itemCount);
    return { name, fitSeconds: (performance.now() - started) / 1000, scorer };
  });
}

/** Loads a saved model; its scorer maps item ids when its vocabulary differs from the data's. */
async function loadTrainedModel(
  directory: string,
  data: LoadedData,
): Promise<{ named: NamedScorer; recommender: QFormerRecommender }> {
  logProgress(`loading model ${directory}`);
  const started = performance.now();
  const recommender = new QFormerRecommender(await loadModel(directory));
  const scorer = scorerForVocabulary(recommender, data.vocabulary);
  const name = modelName(recommender.model.config);
  return {
    named: { name, fitSeconds: (performance.now() - started) / 1000, scorer },
    recommender,
  };
}

function modelName(config: QFormerConfig): string {
  const single =
    config.readout === 'last' ? 'sasrec (last-slot readout)' : `qformer (m=${config.queryCount})`;
  return config.ensembleMembers === 1 ? single : `ensemble of ${config.ensembleMembers} ${single}`;
}

/**
 * Returns the requested split, or the test split when there is one and none was requested,
 * with the training sequences that the baselines fit on. Split `holdout` draws the users that
 * `qrec train` selects on for the same seed and count, and leaves their last training item
 * out of the training sequences.
 */
function selectEvaluationSet(
  data: LoadedData,
  options: Pick<EvaluateCommandOptions, 'split' | 'holdoutSeed' | 'holdoutUsers'>,
): { split: SplitName; evaluationSet: EvaluationSet; train: SequenceDataset } {
  const requested = options.split;
  if (requested === 'holdout') {
    return { split: 'holdout', ...holdoutOf(data, options) };
  }
  if (requested === 'validation' || (requested === undefined && data.test === undefined)) {
    return { split: 'validation', evaluationSet: data.validation, train: data.train };
  }
  if (data.test === undefined) {
    throw new Error(
      'split "test" is not available: this folder provides its own validation files, ' +
        'use --split validation',
    );
  }
  return { split: 'test', evaluationSet: data.test, train: data.train };
}

function holdoutOf(
  data: LoadedData,
  options: Pick<EvaluateCommandOptions, 'holdoutSeed' | 'holdoutUsers'>,
): { evaluationSet: EvaluationSet; train: SequenceDataset } {
  const plan = selectionPlan(
    data,
    options.holdoutUsers ?? DEFAULT_HOLDOUT_USERS,
    options.holdoutSeed ?? DEFAULT_TRAINER_OPTIONS.seed,
  );
  if (plan.label !== 'holdout' || plan.data.validation === undefined) {
    throw new Error(
      'split "holdout" is not available: this folder has a leave-one-out split, whose ' +
        'training runs select on the validation split; use --split validation',
    );
  }
  return { evaluationSet: plan.data.validation, train: plan.data.train };
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

/** Summarises the data: for the holdout split, the training counts leave its items out. */
function summariseData(
  folder: string,
  data: LoadedData,
  selected: { split: SplitName; evaluationSet: EvaluationSet; train: SequenceDataset },
): DataSummary {
  return {
    data: folder,
    format: data.format,
    split: selected.split,
    evaluatedUsers: selected.evaluationSet.targets.length,
    itemCount: data.vocabulary.size,
    trainingUsers: selected.train.userCount,
    trainingInteractions: selected.train.interactionCount,
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
      `evaluated users: ${summary.evaluatedUsers}; items: ${summary.itemCount}` +
      (summary.trainOnlyUsers > 0
        ? `; users with fewer than ${MIN_ITEMS_FOR_EVALUATION} items (training only): ${summary.trainOnlyUsers}`
        : ''),
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

/** Progress goes to stderr so that `--json` output on stdout stays parseable. */
function logProgress(message: string): void {
  console.error(`qrec evaluate: ${message}`);
}
