import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsIntegerParam } from '../../common/validation/validation.decorators';
import { MODEL_VERSION_STATUSES, ModelVersionStatus, ModelVersionSummary } from '../model-registry';

export const DEFAULT_MODEL_LIST_LIMIT = 50;
export const MAX_MODEL_LIST_LIMIT = 500;

export class ListModelVersionsQueryDto {
  @ApiPropertyOptional({
    description: 'Maximum number of versions, newest first',
    minimum: 1,
    maximum: MAX_MODEL_LIST_LIMIT,
    default: DEFAULT_MODEL_LIST_LIMIT,
  })
  @IsOptional()
  @IsIntegerParam(1, MAX_MODEL_LIST_LIMIT)
  limit: number = DEFAULT_MODEL_LIST_LIMIT;

  @ApiPropertyOptional({
    enum: MODEL_VERSION_STATUSES,
    description: 'Only versions in this status',
  })
  @IsOptional()
  @IsIn(MODEL_VERSION_STATUSES, {
    message: `$property must be one of: ${MODEL_VERSION_STATUSES.join(', ')}`,
  })
  status?: ModelVersionStatus;
}

export class ModelVersionResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: MODEL_VERSION_STATUSES })
  status!: ModelVersionStatus;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  activatedAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Latest interaction time the training data could contain',
  })
  dataCutoff!: string | null;

  @ApiProperty({ description: 'Items the model can recommend' })
  itemCount!: number;

  @ApiProperty({ type: [String], description: 'Event types of the training data' })
  eventTypes!: string[];

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  trainingRunId!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Model configuration' })
  config!: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Training metrics, including `validation.ndcg10` and `validation.hitRate10`',
  })
  metrics!: unknown;
}

export class ModelVersionListDto {
  @ApiProperty({ type: [ModelVersionResponseDto] })
  data!: ModelVersionResponseDto[];
}

export function toModelVersionResponse(summary: ModelVersionSummary): ModelVersionResponseDto {
  return {
    id: summary.id,
    status: summary.status,
    createdAt: summary.createdAt.toISOString(),
    activatedAt: summary.activatedAt?.toISOString() ?? null,
    dataCutoff: summary.dataCutoff?.toISOString() ?? null,
    itemCount: summary.itemCount,
    eventTypes: summary.eventTypes,
    trainingRunId: summary.trainingRunId,
    config: { ...summary.config },
    metrics: summary.metrics,
  };
}
