import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { MAX_CATEGORY_LENGTH } from '../../items/dto/item-fields.dto';
import { MAX_ID_LENGTH } from '../../common/validation/text-rules';
import {
  IsExternalId,
  IsIntegerParam,
  IsIsoTimestamp,
  IsTextList,
} from '../../common/validation/validation.decorators';

export const DEFAULT_RECOMMENDATION_COUNT = 10;
export const MAX_RECOMMENDATION_COUNT = 100;
export const MAX_RECOMMENDATION_OFFSET = 900;
const MAX_CATEGORIES = 20;
const MAX_EXCLUDED_ITEMS = 500;

/**
 * Turns a repeated or comma-separated query parameter into a list without duplicates.
 * Anything else is kept as sent, so that validation reports it.
 */
function toList(splitCommas: boolean) {
  return Transform(({ value }: { value: unknown }) => {
    const values = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(values) || !values.every((element) => typeof element === 'string')) {
      return value;
    }
    const parts = splitCommas ? values.flatMap((element) => element.split(',')) : values;
    return [...new Set(parts)];
  });
}

/** Query of `GET /recommendations`. */
export class RecommendationsQueryDto {
  @ApiProperty({ description: "The caller's user id; unknown users get the popular list" })
  @IsExternalId()
  userId!: string;

  @ApiPropertyOptional({
    description: 'Number of items to return',
    minimum: 1,
    maximum: MAX_RECOMMENDATION_COUNT,
    default: DEFAULT_RECOMMENDATION_COUNT,
  })
  @IsOptional()
  @IsIntegerParam(1, MAX_RECOMMENDATION_COUNT)
  n: number = DEFAULT_RECOMMENDATION_COUNT;

  @ApiPropertyOptional({
    description: 'Number of ranked items before this page',
    minimum: 0,
    maximum: MAX_RECOMMENDATION_OFFSET,
    default: 0,
  })
  @IsOptional()
  @IsIntegerParam(0, MAX_RECOMMENDATION_OFFSET)
  offset: number = 0;

  @ApiPropertyOptional({
    type: [String],
    description: 'Return only items in at least one of these categories (repeatable)',
  })
  @IsOptional()
  @toList(false)
  @IsTextList(MAX_CATEGORIES, 1, MAX_CATEGORY_LENGTH)
  category?: string[];

  @ApiPropertyOptional({
    type: [String],
    description:
      'Item ids never to return (repeatable, or comma-separated; every value is split at ' +
      'commas, so an id that contains a comma cannot be excluded)',
  })
  @IsOptional()
  @toList(true)
  @IsTextList(MAX_EXCLUDED_ITEMS, 1, MAX_ID_LENGTH)
  exclude?: string[];

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'Add which interest chose each item and which past interactions weighed most',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => {
    if (value === 'true') {
      return true;
    }
    return value === 'false' ? false : value;
  })
  @IsBoolean({ message: '$property must be true or false' })
  explain?: boolean;
}

/** Query of `GET /admin/recommendations/attribution`. */
export class AttributionQueryDto {
  @ApiPropertyOptional({
    description: 'Count only lists served at or after this time (ISO-8601)',
    example: '2025-01-31T00:00:00Z',
  })
  @IsOptional()
  @IsIsoTimestamp()
  since?: string;
}
