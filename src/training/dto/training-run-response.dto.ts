import { ApiProperty } from '@nestjs/swagger';
import { TRAINING_RUN_STATUSES } from '../training-run';
import type {
  EpochProgress,
  PromotionOutcome,
  TrainingParameters,
  TrainingPhase,
  TrainingRunStatus,
  TrainingRunTrigger,
} from '../training-run';

export class EpochProgressDto implements EpochProgress {
  @ApiProperty()
  epoch!: number;

  @ApiProperty({ description: 'Mean training loss of the epoch' })
  loss!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'Validation NDCG@10' })
  validationNdcg10!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Validation HR@10' })
  validationHitRate10!: number | null;

  @ApiProperty({ description: 'Training sequences per second during the epoch' })
  examplesPerSecond!: number;

  @ApiProperty({ description: 'Seconds since training started, at the end of the epoch' })
  elapsedSeconds!: number;
}

export class PromotionOutcomeDto implements PromotionOutcome {
  @ApiProperty({ enum: ['promoted', 'rejected'] })
  decision!: 'promoted' | 'rejected';

  @ApiProperty({ enum: ['no-active-version', 'forced', 'metric'] })
  reason!: 'no-active-version' | 'forced' | 'metric';

  @ApiProperty({ description: "New version's NDCG@10 on the run's validation users" })
  candidateNdcg10!: number;

  @ApiProperty({ type: Number, nullable: true, description: "Active version's NDCG@10 on them" })
  activeNdcg10!: number | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  activeVersionId!: string | null;

  @ApiProperty({ description: 'TRAINING_PROMOTION_TOLERANCE when the run decided' })
  tolerance!: number;

  @ApiProperty()
  validationUsers!: number;
}

export class TrainingRunResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: TRAINING_RUN_STATUSES })
  status!: TrainingRunStatus;

  @ApiProperty({ enum: ['api', 'schedule'] })
  trigger!: TrainingRunTrigger;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Interactions up to this time are the training data (the claim time)',
  })
  dataCutoff!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Overrides' })
  parameters!: TrainingParameters;

  @ApiProperty({ description: 'Promote the new version without the metric check' })
  force!: boolean;

  @ApiProperty()
  cancelRequested!: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'host:pid of the worker process' })
  worker!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['loading', 'training', 'evaluating', 'registering'],
  })
  phase!: TrainingPhase | null;

  @ApiProperty({ type: Number, nullable: true })
  currentEpoch!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Epoch limit of the run' })
  maxEpochs!: number | null;

  @ApiProperty({ type: [EpochProgressDto], description: 'Finished epochs so far' })
  epochs!: EpochProgressDto[];

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Latest training sequences per second',
  })
  examplesPerSecond!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Training steps per second' })
  stepsPerSecond!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Seconds since the run started' })
  elapsedSeconds!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Estimated seconds left, an upper bound because early stopping can end sooner',
  })
  etaSeconds!: number | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  modelVersionId!: string | null;

  @ApiProperty({ type: PromotionOutcomeDto, nullable: true })
  promotion!: PromotionOutcomeDto | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the run failed or ended' })
  error!: string | null;
}

export class TrainingRunPageDto {
  @ApiProperty({ type: [TrainingRunResponseDto] })
  data!: TrainingRunResponseDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Cursor of the next page' })
  nextCursor!: string | null;
}
