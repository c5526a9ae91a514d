import { Command, InvalidArgumentError, Option } from 'commander';
import { BASELINE_NAMES, BaselineName, isBaselineName } from '../../model/baselines';
import { DATA_FORMATS } from '../../model/data/data-folder';
import { DEFAULT_TRAINER_OPTIONS } from '../../model/qformer/trainer';
import { EvaluateCommandOptions, runEvaluate, SPLITS } from './evaluate-runner';
import { DEFAULT_HOLDOUT_USERS } from './train-runner';

/** Adds `qrec evaluate`, the offline evaluation of recommenders on a data folder. */
export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description(
      'evaluate recommenders offline: full ranking over all items with each user history ' +
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
          'provides val_input.txt and val_target.txt; holdout: the last training items that ' +
          '`qrec train --holdout-seed` selects on, for such a folder)',
      ).choices(SPLITS),
    )
    .option(
      '--holdout-seed <n>',
      'with --split holdout: the holdout seed of the training runs (their --holdout-seed, ' +
        'or --seed when they had none)',
      parseInteger(0),
      DEFAULT_TRAINER_OPTIONS.seed,
    )
    .option(
      '--holdout-users <n>',
      'with --split holdout: the --holdout-users of the training runs',
      parseInteger(1),
      DEFAULT_HOLDOUT_USERS,
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
    .option('--model <dir>', 'also evaluate the model saved in this directory by qrec train')
    .option('--json', 'print the results as JSON instead of tables')
    .action(async (options: EvaluateCommandOptions) => {
      await runEvaluate(options);
    });
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
