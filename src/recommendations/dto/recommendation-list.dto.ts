import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  PopularReason,
  RecommendationList,
  RecommendationSource,
  ServedItem,
} from '../recommendation.types';

const SOURCES: RecommendationSource[] = ['model', 'popular'];
const REASONS: PopularReason[] = [
  'no_active_model',
  'unknown_user',
  'no_history',
  'history_unknown_to_model',
];

export class ExplanationCauseDto {
  @ApiProperty({ description: 'A past interaction of the user' })
  itemId!: string;

  @ApiProperty()
  title!: string;

  @ApiProperty({ description: 'Cross-attention weight of that interaction in the interest' })
  weight!: number;
}

export class ExplanationDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Index of the interest vector whose score chose the item',
  })
  interest!: number | null;

  @ApiProperty({ type: [ExplanationCauseDto], description: 'At most 3, highest weight first' })
  because!: ExplanationCauseDto[];
}

export class RecommendedItemDto implements ServedItem {
  @ApiProperty()
  itemId!: string;

  @ApiProperty({ description: 'Position in the whole ranking; the first item has offset + 1' })
  rank!: number;

  @ApiProperty({ description: 'Model score, or the interaction count for popular items' })
  score!: number;

  @ApiProperty()
  title!: string;

  @ApiProperty({ type: [String] })
  categories!: string[];

  @ApiPropertyOptional({ type: ExplanationDto, description: 'With `explain=true`, model only' })
  explanation?: ExplanationDto;
}

export class RecommendationListDto implements RecommendationList {
  @ApiProperty({ format: 'uuid', description: 'Id of the stored list' })
  id!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty()
  userId!: string;

  @ApiProperty({ enum: SOURCES })
  source!: RecommendationSource;

  @ApiProperty({ type: String, nullable: true, description: 'Id of the model version used' })
  modelVersion!: string | null;

  @ApiPropertyOptional({ enum: REASONS, description: 'Why the popular list was served' })
  reason?: PopularReason;

  @ApiProperty()
  offset!: number;

  @ApiProperty()
  n!: number;

  @ApiProperty({ type: [RecommendedItemDto] })
  items!: RecommendedItemDto[];
}

export class VersionAttributionDto {
  @ApiProperty({ type: String, nullable: true })
  modelVersion!: string | null;

  @ApiProperty({ enum: SOURCES })
  source!: RecommendationSource;

  @ApiProperty({ description: 'Lists served' })
  lists!: number;

  @ApiProperty({ description: 'Lists with at least one click or purchase that names them' })
  listsWithConversion!: number;

  @ApiProperty({ description: 'listsWithConversion / lists' })
  conversionRate!: number;
}

export class AttributionReportDto {
  @ApiProperty({ type: [String] })
  conversionEventTypes!: string[];

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  since!: string | null;

  @ApiProperty({ type: [VersionAttributionDto] })
  versions!: VersionAttributionDto[];
}
