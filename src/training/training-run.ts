import type { QFormerConfig } from '../model/qformer/config';
import type { TrainerOptions } from '../model/qformer/trainer';

export const TRAINING_RUN_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type TrainingRunStatus = (typeof TRAINING_RUN_STATUSES)[number];

export type TrainingRunTrigger = 'api' | 'schedule';

/** Trainer settings that a request may override; callbacks and sessions are set by the worker. */
export type TrainerOverrides = Partial<
  Omit<TrainerOptions, 'sessionOptions' | 'onStart' | 'onStep' | 'onEpoch'>
>;

/** Hyper-parameter overrides of one run, stored in `training_runs.parameters`. */
export interface TrainingParameters {
  model: Partial<QFormerConfig>;
  trainer: TrainerOverrides;
  /** Fixed K of the exported model's top-K output; unset takes the trainer's default. */
  topK?: number;
  /** Users held out for validation; unset takes the trainer's default. */
  validationUsers?: number;
}

/** One finished epoch, as stored in the run's progress. */
export interface EpochProgress {
  epoch: number;
  loss: number;
  /** NaN is stored as null, because JSON has no NaN. */
  validationNdcg10: number | null;
  validationHitRate10: number | null;
  /** Training sequences per second of this epoch's steps. */
  examplesPerSecond: number;
  elapsedSeconds: number;
}

/** Comparison of the new version with the active one, and the decision. */
export interface PromotionOutcome {
  decision: 'promoted' | 'rejected';
  /** Why: no active version, forced by the request, or the metric comparison. */
  reason: 'no-active-version' | 'forced' | 'metric';
  candidateNdcg10: number;
  /** Null when there was no active version to compare with. */
  activeNdcg10: number | null;
  activeVersionId: string | null;
  tolerance: number;
  validationUsers: number;
}

export type TrainingPhase = 'loading' | 'training' | 'evaluating' | 'registering';

/** Progress of a run, written by its worker into `training_runs.progress`. */
export interface TrainingProgress {
  phase?: TrainingPhase;
  epoch?: number;
  maxEpochs?: number;
  step?: number;
  stepsPerEpoch?: number;
  stepsPerSecond?: number;
  examplesPerSecond?: number;
  /** Seconds since the worker started training, loading included. */
  elapsedSeconds?: number;
  /** Upper estimate: early stopping can end the run sooner. */
  etaSeconds?: number;
  epochs?: EpochProgress[];
  promotion?: PromotionOutcome;
}

/** A row of `training_runs`, with columns renamed to camelCase. */
export interface TrainingRunRow {
  id: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
  status: TrainingRunStatus;
  trigger: TrainingRunTrigger;
  parameters: TrainingParameters;
  force: boolean;
  cancelRequested: boolean;
  worker: string | null;
  progress: TrainingProgress;
  dataCutoff: Date | null;
  error: string | null;
  modelVersionId: string | null;
}
