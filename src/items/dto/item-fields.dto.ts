import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { MAX_ATTRIBUTES_BYTES } from '../../common/validation/json-object';
import {
  IsAttributes,
  IsIsoTimestamp,
  IsOptionalNotNull,
  IsText,
  IsTextList,
} from '../../common/validation/validation.decorators';

export const MAX_TITLE_LENGTH = 512;
export const MAX_CATEGORIES = 50;
export const MAX_CATEGORY_LENGTH = 64;

/** Fields of an item as sent in PUT /items/:id and in each element of a bulk upsert. */
export class ItemFieldsDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_TITLE_LENGTH, example: 'Blue running shoes' })
  @IsText(1, MAX_TITLE_LENGTH)
  title!: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_CATEGORIES,
    description: `Distinct categories, each 1 to ${MAX_CATEGORY_LENGTH} characters`,
    example: ['shoes', 'running'],
  })
  @IsOptionalNotNull()
  @IsTextList(MAX_CATEGORIES, 1, MAX_CATEGORY_LENGTH)
  categories?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `Free-form JSON object, at most ${MAX_ATTRIBUTES_BYTES} bytes`,
  })
  @IsOptionalNotNull()
  @IsAttributes()
  attributes?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Hidden items are never recommended', default: false })
  @IsOptionalNotNull()
  @IsBoolean({ message: '$property must be true or false' })
  hidden?: boolean;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2025-01-31T12:00:00Z',
  })
  @IsOptional()
  @IsIsoTimestamp()
  publishedAt?: string | null;
}
