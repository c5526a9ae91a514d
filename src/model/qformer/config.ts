/** Aggregation of the per-interest scores into one item score. */
export type InterestAggregation = 'max' | 'logsumexp';

/**
 * Interests scored by the training loss: every interest through the configured aggregation
 * (`all`), or only the interest closest to each target item (`target`).
 */
export type InterestSelection = 'all' | 'target';

/** Readout that turns the encoded history into interest vectors. */
export type Readout = 'qformer' | 'last';

/** Hyper-parameters of the Q-Former sequential recommender. */
export interface QFormerConfig {
  /** Width d of embeddings, attention and interest vectors. */
  dim: number;
  /** Window length L: the number of most recent interactions the model reads. */
  maxLength: number;
  /** Event types 1..eventTypeCount; index 0 is padding. */
  eventTypeCount: number;
  /** Causal self-attention blocks of the history encoder (0 allowed). */
  encoderBlocks: number;
  /** Learned query vectors m, one interest vector each. */
  queryCount: number;
  /** Q-Former blocks: query self-attention, cross-attention to the history, feed-forward. */
  qformerBlocks: number;
  /** Attention heads in every attention layer; must divide `dim`. */
  heads: number;
  /** Hidden width of every feed-forward layer. */
  feedForwardDim: number;
  /** GEGLU feed-forward layers: the GELU of one projection gates a second projection. */
  gatedFeedForward: boolean;
  /** Dropout ratio on embeddings, attention outputs and feed-forward outputs during training. */
  dropout: number;
  /**
   * Training only: ratio of history interactions whose item is replaced by a mask item
   * (embedding row 0, which serving never reads) in each training window. The targets, the
   * positions and the event types stay, so the model learns to predict from a history with
   * gaps. 0 turns it off.
   */
  itemDropout: number;
  /**
   * Dropout ratio in the Q-Former blocks during training: on the outputs of their attention
   * and feed-forward layers and on the feed-forward hidden layer. 0 adds no Dropout nodes
   * there. With m queries the Q-Former has m tokens per history slot, so its Dropout costs m
   * times the encoder's.
   */
  qformerDropout: number;
  /**
   * Learned cross-attention bias per head indexed by how many slots back the key lies,
   * initialised to prefer recent interactions.
   */
  relativePositionBias: boolean;
  /**
   * Learned bias per head and block added to the encoder's self-attention scores, indexed by
   * how many slots back the key lies from the query, initialised to prefer recent interactions.
   */
  encoderPositionBias: boolean;
  /** Adds each slot's encoder state to its query tokens before the first Q-Former block. */
  slotConditioning: boolean;
  /**
   * Multiplies the history's item embeddings by sqrt(dim) before the position and event-type
   * embeddings are added, as the Transformer and SASRec do, so that the item dominates its
   * input vector from the first step.
   */
  scaleItemEmbeddings: boolean;
  /** `qformer`, or `last` for a SASRec-style readout of the last slot (one interest). */
  readout: Readout;
  /** Score of an item: max over interests, or temperature-scaled log-sum-exp. */
  aggregation: InterestAggregation;
  /** Temperature of the log-sum-exp aggregation. */
  aggregationTemperature: number;
  /**
   * `all` trains with the serving score. `target` trains each target slot with its interest of
   * highest dot product with the target item, as multi-interest retrievers such as ComiRec
   * do, at the scoring cost of a single interest. Because the choice depends on the target,
   * it can lower the loss by up to log(m) without a better ranking.
   */
  interestSelection: InterestSelection;
  /**
   * Full softmax only: leaves the items earlier in a target's window, other than the target
   * itself, out of that target's softmax. Serving never recommends items a user has
   * interacted with, so the loss then ranks the target among the items that serving ranks.
   */
  maskHistoryItems: boolean;
  /** Full softmax cross-entropy up to this many items, sampled softmax above it. */
  fullSoftmaxMaxItems: number;
  /** Shared negatives per step of the sampled softmax. */
  sampledNegatives: number;
  /**
   * Exported models only: the number of separately trained models (members) of this
   * configuration whose scores the model adds up. `qrec ensemble` sets it, and training
   * accepts only 1.
   */
  ensembleMembers: number;
}

export const DEFAULT_QFORMER_CONFIG: Readonly<QFormerConfig> = {
  dim: 64,
  maxLength: 200,
  eventTypeCount: 1,
  encoderBlocks: 2,
  queryCount: 4,
  qformerBlocks: 1,
  heads: 2,
  feedForwardDim: 128,
  gatedFeedForward: false,
  dropout: 0.1,
  itemDropout: 0,
  qformerDropout: 0,
  relativePositionBias: true,
  encoderPositionBias: true,
  slotConditioning: true,
  scaleItemEmbeddings: true,
  readout: 'qformer',
  aggregation: 'max',
  aggregationTemperature: 1,
  interestSelection: 'all',
  maskHistoryItems: true,
  fullSoftmaxMaxItems: 100_000,
  sampledNegatives: 512,
  ensembleMembers: 1,
};

/** A configuration value outside its allowed range. */
export class QFormerConfigError extends Error {
  override readonly name = 'QFormerConfigError';

  constructor(
    /** The configuration field whose value was rejected. */
    readonly field: keyof QFormerConfig,
    message: string,
  ) {
    super(message);
  }
}

/** Fills defaults into a partial configuration and validates every field. */
export function resolveConfig(overrides: Partial<QFormerConfig> = {}): QFormerConfig {
  const config: QFormerConfig = { ...DEFAULT_QFORMER_CONFIG, ...overrides };
  requireInteger('dim', config.dim, 1);
  requireInteger('maxLength', config.maxLength, 1);
  requireInteger('eventTypeCount', config.eventTypeCount, 1);
  requireInteger('encoderBlocks', config.encoderBlocks, 0);
  requireInteger('queryCount', config.queryCount, 1);
  requireInteger('qformerBlocks', config.qformerBlocks, 1);
  requireInteger('heads', config.heads, 1);
  requireInteger('feedForwardDim', config.feedForwardDim, 1);
  requireInteger('fullSoftmaxMaxItems', config.fullSoftmaxMaxItems, 1);
  requireInteger('sampledNegatives', config.sampledNegatives, 1);
  requireInteger('ensembleMembers', config.ensembleMembers, 1);
  if (config.dim % config.heads !== 0) {
    throw new QFormerConfigError(
      'heads',
      `invalid heads ${config.heads}: it must divide dim ${config.dim}`,
    );
  }
  requireRatio('dropout', config.dropout);
  requireRatio('itemDropout', config.itemDropout);
  requireRatio('qformerDropout', config.qformerDropout);
  if (!(config.aggregationTemperature > 0)) {
    throw new QFormerConfigError(
      'aggregationTemperature',
      `invalid aggregationTemperature ${config.aggregationTemperature}: expected a value > 0`,
    );
  }
  requireChoice('readout', config.readout, ['qformer', 'last']);
  requireChoice('aggregation', config.aggregation, ['max', 'logsumexp']);
  requireChoice('interestSelection', config.interestSelection, ['all', 'target']);
  return config;
}

/** Number of interest vectors the configured readout produces per user. */
export function interestCount(config: QFormerConfig): number {
  return config.readout === 'qformer' ? config.queryCount : 1;
}

/**
 * Interest vectors per user in an exported model and their width. An ensemble places member
 * k's interests in rows k * m .. (k + 1) * m - 1 and columns k * d .. (k + 1) * d - 1 and
 * zeros elsewhere, and its item table puts the members' tables side by side, so that each
 * interest's dot product with an item is that member's score for it.
 */
export function exportedInterestShape(config: QFormerConfig): { count: number; dim: number } {
  return {
    count: config.ensembleMembers * interestCount(config),
    dim: config.ensembleMembers * config.dim,
  };
}

/** True when training uses the full softmax over the whole catalogue of `itemCount` items. */
export function usesFullSoftmax(config: QFormerConfig, itemCount: number): boolean {
  return itemCount <= config.fullSoftmaxMaxItems;
}

function requireInteger(name: keyof QFormerConfig, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new QFormerConfigError(
      name,
      `invalid ${name} ${value}: expected an integer of at least ${minimum}`,
    );
  }
}

function requireRatio(name: keyof QFormerConfig, value: number): void {
  if (!(value >= 0 && value < 1)) {
    throw new QFormerConfigError(name, `invalid ${name} ${value}: expected a value in [0, 1)`);
  }
}

function requireChoice(name: keyof QFormerConfig, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) {
    throw new QFormerConfigError(
      name,
      `invalid ${name} "${value}": allowed values are ${allowed.join(', ')}`,
    );
  }
}
