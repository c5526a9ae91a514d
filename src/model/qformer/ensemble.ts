import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ItemVocabulary } from '../data/item-vocabulary';
import { ParameterTensor } from '../engine/optim/adamw';
import { QFormerConfig } from './config';
import { LoadedModel, loadModel, MODEL_FILES, SavedModelContents, saveModel } from './model-store';
import { memberPrefix } from './parameters';
import { parametersFromOnnx } from './window-sessions';

/** Largest number of members `combineModels` accepts. */
export const MAX_ENSEMBLE_MEMBERS = 16;

export interface EnsembleOptions {
  /** Fixed K of the exported top-K output (default: the first member's). */
  topK?: number;
}

/** Summary of the model that `combineModels` wrote. */
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

/** A member model: its configuration, items, weights and training metrics. */
export interface EnsembleMember {
  /** Name of the member in errors and in the ensemble's metrics (a directory or a version). */
  source: string;
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
  checkMemberCount(directories.length);
  const members: EnsembleMember[] = [];
  for (const directory of directories) {
    const model = await loadModel(directory);
    // loadModel keeps no ONNX bytes, so the weights come from a second read of the checked file.
    const onnx = await readFile(join(directory, MODEL_FILES.model));
    members.push(await ensembleMember(resolve(directory), model, onnx));
  }
  const contents = ensembleContents(members, options);
  await saveModel(out, contents);
  return summarize(contents, members.length);
}

/** Throws EnsembleError unless `count` is a valid number of members. */
export function checkMemberCount(count: number): void {
  if (count < 2 || count > MAX_ENSEMBLE_MEMBERS) {
    throw new EnsembleError(`an ensemble needs 2 to ${MAX_ENSEMBLE_MEMBERS} models, got ${count}`);
  }
}

/**
 * Turns a loaded model and its ONNX bytes into a member, and releases the model's session.
 * Throws EnsembleError for a model that is an ensemble itself.
 */
export async function ensembleMember(
  source: string,
  model: LoadedModel,
  onnx: Uint8Array,
): Promise<EnsembleMember> {
  await model.session.release();
  if (model.config.ensembleMembers !== 1) {
    throw new EnsembleError(
      `${source} is already an ensemble of ${model.config.ensembleMembers} models; ` +
        'combine its members instead',
    );
  }
  return {
    source,
    config: model.config,
    vocabulary: model.vocabulary,
    topK: model.manifest.topK,
    parameters: parametersFromOnnx(onnx),
    metrics: model.metrics,
  };
}

/**
 * Returns the contents of the model that adds up the members' scores, after checking that
 * the members share the configuration and the item-id mapping. Member k's weights get the
 * prefix `member.k.`.
 */
export function ensembleContents(
  members: readonly EnsembleMember[],
  options: EnsembleOptions = {},
): SavedModelContents {
  checkMemberCount(members.length);
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
  return {
    config: { ...first.config, ensembleMembers: members.length },
    vocabulary: first.vocabulary,
    parameters: members.flatMap((member, k) => prefixed(member.parameters, memberPrefix(k))),
    topK,
    metrics: {
      ensemble: {
        combine: 'sum of member scores',
        members: members.map((member) => ({ source: member.source, metrics: member.metrics })),
      },
    },
  };
}

function summarize(contents: SavedModelContents, members: number): EnsembleSummary {
  return {
    members,
    itemCount: contents.vocabulary.size,
    topK: contents.topK,
    config: contents.config,
  };
}

function checkCompatible(first: EnsembleMember, member: EnsembleMember): void {
  const differing = (Object.keys(first.config) as (keyof QFormerConfig)[]).filter(
    (field) => first.config[field] !== member.config[field],
  );
  if (differing.length > 0) {
    const field = differing[0];
    throw new EnsembleError(
      `${member.source} has ${field} ${JSON.stringify(member.config[field])} but ` +
        `${first.source} has ${JSON.stringify(first.config[field])}; the members of an ` +
        'ensemble share one configuration',
    );
  }
  const firstItems = JSON.stringify(first.vocabulary.toJSON());
  if (JSON.stringify(member.vocabulary.toJSON()) !== firstItems) {
    throw new EnsembleError(
      `${member.source} maps item ids to indices differently from ${first.source} ` +
        `(${member.vocabulary.size} and ${first.vocabulary.size} items); train the members ` +
        'on the same data',
    );
  }
}

function prefixed(parameters: readonly ParameterTensor[], prefix: string): ParameterTensor[] {
  return parameters.map((parameter) => ({ ...parameter, name: `${prefix}${parameter.name}` }));
}
