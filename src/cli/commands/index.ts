import { Command } from 'commander';
import { registerEnsembleCommand } from './ensemble';
import { registerEvaluateCommand } from './evaluate';
import { registerImportCommand } from './import';
import { registerMigrateCommand } from './migrate';
import { registerModelsCommand } from './models';
import { registerRecommendCommand } from './recommend';
import { registerTrainCommand } from './train';

/**
 * Adds every subcommand to the program. Each command lives in its own file in this folder
 * and exports a `register…Command(program)` function that is called here.
 */
export function registerCommands(program: Command): void {
  registerMigrateCommand(program);
  registerImportCommand(program);
  registerEvaluateCommand(program);
  registerTrainCommand(program);
  registerEnsembleCommand(program);
  registerRecommendCommand(program);
  registerModelsCommand(program);
}
