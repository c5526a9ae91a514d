import { Command } from 'commander';
import { combineModels, MAX_ENSEMBLE_MEMBERS } from '../../model/qformer/ensemble';
import { registerEnsemble } from '../../models/ensemble-versions';
import { positiveInteger, withRegistry } from './models';

interface EnsembleFlags {
  out?: string;
  fromDb: boolean;
  activate: boolean;
  topK?: number;
}

/**
 * Adds `qrec ensemble`, which combines models saved by `qrec train` into one model directory,
 * or registered model versions into a new version, that ranks items by the sum of their
 * scores.
 */
export function registerEnsembleCommand(program: Command): void {
  program
    .command('ensemble')
    .description(
      `Combine 2 to ${MAX_ENSEMBLE_MEMBERS} models of one configuration and the same items ` +
        '(for example runs with different --seed and one --holdout-seed or --cutoff) into ' +
        "one model whose score for an item is the sum of the members' scores. With --out, " +
        'combine model directories saved by qrec train --data; with --from-db, combine model ' +
        'versions in the service database and register the ensemble as a new version',
    )
    .argument('<models...>', 'model directories, or model version ids with --from-db')
    .option('--out <dir>', 'model directory to write (replaced if it exists)')
    .option('--from-db', 'combine model versions of the service database', false)
    .option('--activate', 'with --from-db: activate the registered version', false)
    .option(
      '--top-k <n>',
      "K of the exported top-K output (default: the first model's)",
      positiveInteger,
    )
    .action(async (members: string[], flags: EnsembleFlags) => {
      checkFlags(flags);
      if (flags.fromDb) {
        await combineVersions(members, flags);
        return;
      }
      const out = flags.out as string;
      const summary = await combineModels(members, out, { topK: flags.topK });
      console.error(
        `qrec ensemble: saved ${out}: ${summary.members} members, ` +
          `${summary.itemCount} items, top-K ${summary.topK}`,
      );
    });
}

function checkFlags(flags: EnsembleFlags): void {
  if (flags.fromDb === (flags.out !== undefined)) {
    throw new Error('pass exactly one of --out <dir> and --from-db');
  }
  if (flags.activate && !flags.fromDb) {
    throw new Error('--activate can be used only with --from-db');
  }
}

async function combineVersions(ids: string[], flags: EnsembleFlags): Promise<void> {
  await withRegistry(async (registry) => {
    const version = await registerEnsemble(registry, ids, { topK: flags.topK });
    console.log(
      `Registered model version ${version.id}: ensemble of ${ids.length} versions, ` +
        `${version.itemCount} items`,
    );
    if (flags.activate) {
      await registry.activate(version.id);
      console.log(`Activated model version ${version.id}`);
    }
  });
}
