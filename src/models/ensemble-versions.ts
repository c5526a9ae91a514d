import {
  checkMemberCount,
  EnsembleError,
  EnsembleMember,
  ensembleContents,
  ensembleMember,
  EnsembleOptions,
} from '../model/qformer/ensemble';
import { loadEncodedModel } from '../model/qformer/model-store';
import { ModelRegistry, modelLabel, ModelVersionSummary } from './model-registry';

/**
 * Registers a new version that adds up the scores of registered versions of one
 * configuration, item mapping and event types (for example `qrec train --from-db` runs with
 * different seeds and one cut-off). Each member is checked as `loadArtifact` checks it. The
 * new version's data cut-off is the earliest of the members', and it starts `registered`.
 */
export async function registerEnsemble(
  registry: ModelRegistry,
  versionIds: readonly string[],
  options: EnsembleOptions = {},
): Promise<ModelVersionSummary> {
  checkMemberCount(versionIds.length);
  const members: EnsembleMember[] = [];
  const summaries: ModelVersionSummary[] = [];
  for (const id of versionIds) {
    const summary = await registry.get(id);
    const { encoded } = await registry.readEncoded(id);
    const model = await loadEncodedModel(encoded, modelLabel(id));
    members.push(await ensembleMember(modelLabel(id), model, encoded.onnx));
    summaries.push(summary);
  }
  checkEventTypes(summaries);
  return registry.register({
    contents: ensembleContents(members, options),
    eventTypes: summaries[0].eventTypes,
    dataCutoff: earliestCutoff(summaries),
    status: 'registered',
  });
}

function checkEventTypes(summaries: readonly ModelVersionSummary[]): void {
  const first = summaries[0];
  for (const summary of summaries.slice(1)) {
    if (JSON.stringify(summary.eventTypes) !== JSON.stringify(first.eventTypes)) {
      throw new EnsembleError(
        `${modelLabel(summary.id)} has event types ${JSON.stringify(summary.eventTypes)} but ` +
          `${modelLabel(first.id)} has ${JSON.stringify(first.eventTypes)}; train the members ` +
          'on the same data',
      );
    }
  }
}

/** Returns the earliest cut-off, or null when a member's cut-off is unknown. */
function earliestCutoff(summaries: readonly ModelVersionSummary[]): Date | null {
  const cutoffs = summaries.map((summary) => summary.dataCutoff);
  if (cutoffs.some((cutoff) => cutoff === null)) {
    return null;
  }
  return new Date(Math.min(...cutoffs.map((cutoff) => (cutoff as Date).getTime())));
}
