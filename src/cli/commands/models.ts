import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../config/app-config';
import {
  MODEL_VERSION_STATUSES,
  ModelRegistry,
  ModelVersionStatus,
} from '../../models/model-registry';
import { ensureSchema, withDatabase, withDataSource } from '../cli-database';
import { formatModelTable } from './models-runner';

interface ListFlags {
  limit: number;
  status?: ModelVersionStatus;
  json: boolean;
}

/** Adds `qrec models` (list versions) and `qrec models activate <id>`. */
export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description('list and activate the model versions stored in the service database');

  models
    .command('list', { isDefault: true })
    .description('list model versions, newest first (the default subcommand)')
    .option('--limit <n>', 'maximum number of versions', positiveInteger, 50)
    .option(
      '--status <status>',
      `only versions in this status (${MODEL_VERSION_STATUSES.join(', ')})`,
      status,
    )
    .option('--json', 'print JSON instead of a table', false)
    .action(async (flags: ListFlags) => {
      await withRegistry(async (registry) => {
        const versions = await registry.list({ limit: flags.limit, status: flags.status });
        console.log(flags.json ? JSON.stringify(versions, null, 2) : formatModelTable(versions));
      });
    });

  models
    .command('activate <id>')
    .description(
      'make a version the active one; running API instances switch to it through NOTIFY ' +
        'or at their next poll',
    )
    .action(async (id: string) => {
      await withRegistry(async (registry) => {
        const version = await registry.activate(id);
        console.log(`Activated model version ${version.id}`);
      });
    });
}

/** Runs `work` with the model registry of the configured database (embedded or external). */
export async function withRegistry(
  work: (registry: ModelRegistry) => Promise<void>,
): Promise<void> {
  const config = loadConfig();
  await withDatabase(config, async (url) => {
    await ensureSchema(url, config);
    await withDataSource(url, (dataSource) => work(new ModelRegistry(dataSource)));
  });
}

/** Parses an option value as an integer of at least 1, for commander. */
export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError(`expected an integer of at least 1, got "${value}".`);
  }
  return parsed;
}

function status(value: string): ModelVersionStatus {
  if (!(MODEL_VERSION_STATUSES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      `expected one of ${MODEL_VERSION_STATUSES.join(', ')}, got "${value}".`,
    );
  }
  return value as ModelVersionStatus;
}
