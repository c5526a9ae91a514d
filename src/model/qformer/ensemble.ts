import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ItemVocabulary } from '../data/item-vocabulary';
import { ParameterTensor } from '../engine/optim/adamw';
import { QFormerConfig } from './config';
import { loadModel, MODEL_FILES, saveModel } from './model-store';
import { memberPrefix } from './parameters';
import { parametersFromOnnx } from './window-sessions';

/** Largest number of members `combineModels` accepts. */
export const MAX_ENSEMBLE_MEMBERS = 16;

export interface EnsembleOptions {
  /** Fixed K of the exported top-K output (default: the first member's). */
  topK?: number;
}

/** What `combineModels` wrote. */
export interface EnsembleSummary {
  members: number;
  itemCount: number;
  topK: number;
  config: QFormerConfig;
}

/** A member model that cannot join the ensemble. */
export class EnsembleError extends Error {
  override readonly name = 'EnsembleError';
}

/** A loaded member: its configuration, items, weights and training metrics. */
interface Member {
  directory: string;
  config: QFormerConfig;
  vocabulary: ItemVocabulary;
  topK: number;
  parameters: ParameterTensor[];
  metrics: unknown;
}

/**
 * Combines saved models of one configuration, trained on the same items with different
 * seeds, into one saved model that ranks items by the sum of the members' scores. Each member
 * is checked as `loadModel` checks it, and all must share the configuration and the item ids
 * in the same order. The ensemble is written as `saveModel` writes a model, so a failed
 * check leaves nothing at `out`.
 */
export async function combineModels(
  directories: readonly string[],
  out: string,
  options: EnsembleOptions = {},
): Promise<EnsembleSummary> {
  if (directories.length < 2 || directories.length > MAX_ENSEMBLE_MEMBERS) {
    throw new EnsembleError(
      `an ensemble needs 2 to ${MAX_ENSEMBLE_MEMBERS} models, got ${directories.length}`,
    );
  }
  const members: Member[] = [];
  for (const directory of directories) {
    members.push(await readMember(directory));
  }
  const first = members[0];
  for (const member of members.slice(1)) {
    checkCompatible(first, member);
  }
  const topK = options.topK ?? first.topK;
  if (!Number.isInteger(topK) || topK < 1 || topK > first.vocabulary.size) {
    throw new EnsembleError(
      `invalid top-K ${topK}: expected an integer in 1..${first.vocabulary.size}`,
    );
  }
  const config: QFormerConfig = { ...first.config, ensembleMembers: members.length };
  await saveModel(out, {
    config,
    vocabulary: first.vocabulary,
    parameters: members.flatMap((member, k) => prefixed(member.parameters, memberPrefix(k))),
    topK,
    metrics: {
      ensemble: {
        combine: 'sum of member scores',
        members: members.map((member) => ({ source: member.directory, metrics: member.metrics })),
      },
    },
  });
  return { members: members.length, itemCount: first.vocabulary.size, topK, config };
}

async function readMember(directory: string): Promise<Member> {
  const model = await loadModel(directory);
  await model.session.release();
  if (model.config.ensembleMembers !== 1) {
    throw new EnsembleError(
      `${directory} is already an ensemble of ${model.config.ensembleMembers} models; ` +
        'combine its members instead',
    );
  }
  // loadModel checked the file against the manifest's SHA-256; read it again for the weights.
  const bytes = await readFile(join(directory, MODEL_FILES.model));
  return {
    directory,
    config: model.config,
    vocabulary: model.vocabulary,
    topK: model.manifest.topK,
    parameters: parametersFromOnnx(bytes),
    metrics: model.metrics,
  };
}

function checkCompatible(first: Member, member: Member): void {
  const differing = (Object.keys(first.config) as (keyof QFormerConfig)[]).filter(
    (field) => first.config[field] !== member.config[field],
  );
  if (differing.length > 0) {
    const field = differing[0];
    throw new EnsembleError(
      `${member.directory} has ${field} ${JSON.stringify(member.config[field])} but ` +
        `${first.directory} has ${JSON.stringify(first.config[field])}; the members of an ` +
        'ensemble share one configuration',
    );
  }
  const firstItems = JSON.stringify(first.vocabulary.toJSON());
  if (JSON.stringify(member.vocabulary.toJSON()) !== firstItems) {
    throw new EnsembleError(
      `${member.directory} maps item ids to indices differently from ${first.directory} ` +
        `(${member.vocabulary.size} and ${first.vocabulary.size} items); train the members ` +
        'on the same data',
    );
  }
}

function prefixed(parameters: readonly ParameterTensor[], prefix: string): ParameterTensor[] {
  return parameters.map((parameter) => ({ ...parameter, name: `${prefix}${parameter.name}` }));
}
