import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DEFAULT_EVENT_TYPES } from '../../config/config.schema';

/**
 * One interaction event as sent to POST /interactions. Documentation only: the endpoint
 * validates with `parseEvents`, which accepts this object or an array of up to 1,000.
 */
export class InteractionEventDto {
  @ApiProperty({ description: 'User id; an unknown user is created', example: 'user-42' })
  userId!: string;

  @ApiProperty({
    description: 'Item id; an unknown item is rejected (422) unless AUTO_CREATE_ITEMS=true',
    example: 'sku-1001',
  })
  itemId!: string;

  @ApiProperty({
    description: 'One of the configured EVENT_TYPES (defaults shown)',
    enum: DEFAULT_EVENT_TYPES,
    example: 'view',
  })
  type!: string;

  @ApiPropertyOptional({
    description: 'Rating or weight, a finite number within ±1e9',
    example: 4.5,
  })
  value?: number;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'ISO-8601 with a time zone; defaults to the time of receipt',
  })
  occurredAt?: string;

  @ApiPropertyOptional({
    description: 'Idempotency key (1 to 128 characters): an event id already stored is skipped',
    example: 'evt-000123',
  })
  eventId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The recommendation list that led to this interaction',
  })
  recommendationId?: string;
}

export class IngestResultDto {
  @ApiProperty({ description: 'Events stored by this request' })
  accepted!: number;

  @ApiProperty({ description: 'Events skipped because their eventId was already stored' })
  duplicates!: number;
}

export class InteractionResponseDto {
  @ApiProperty({ example: 'sku-1001' })
  itemId!: string;

  @ApiProperty({ example: 'view' })
  type!: string;

  @ApiProperty({ type: Number, nullable: true })
  value!: number | null;

  @ApiProperty({ type: String, format: 'date-time' })
  occurredAt!: string;

  @ApiProperty({ type: String, nullable: true })
  eventId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  recommendationId!: string | null;
}

export class InteractionPageDto {
  @ApiProperty({ type: [InteractionResponseDto] })
  data!: InteractionResponseDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Cursor of the next page' })
  nextCursor!: string | null;
}
