import { Command, InvalidArgumentError } from 'commander';
import { combineModels, MAX_ENSEMBLE_MEMBERS } from '../../model/qformer/ensemble';

interface EnsembleFlags {
  out: string;
  topK?: number;
}

/**
 * Adds `qrec ensemble`, which combines models saved by `qrec train` into one model directory
 * that ranks items by the sum of their scores.
 */
export function registerEnsembleCommand(program: Command): void {
  program
    .command('ensemble')
    .description(
      `Combine 2 to ${MAX_ENSEMBLE_MEMBERS} model directories saved by qrec train, with one ` +
        'configuration and the same items (for example runs with different --seed and one ' +
        '--holdout-seed), into one model directory whose score for an item is the sum of ' +
        "the members' scores",
    )
    .argument('<models...>', 'model directories written by qrec train --out')
    .requiredOption('--out <dir>', 'model directory to write (replaced if it exists)')
    .option('--top-k <n>', "K of the exported top-K output (default: the first model's)", topK)
    .action(async (directories: string[], flags: EnsembleFlags) => {
      const summary = await combineModels(directories, flags.out, { topK: flags.topK });
      console.error(
        `qrec ensemble: saved ${flags.out}: ${summary.members} members, ` +
          `${summary.itemCount} items, top-K ${summary.topK}`,
      );
    });
}

function topK(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError(`expected an integer of at least 1, got "${value}".`);
  }
  return parsed;
}
