import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import {
  IsAttributes,
  IsIsoTimestamp,
  IsOptionalNotNull,
  IsText,
  IsTextList,
} from '../../common/validation/validation.decorators';
import { MAX_CATEGORIES, MAX_CATEGORY_LENGTH, MAX_TITLE_LENGTH } from './item-fields.dto';

/**
 * Fields to change on an item; absent fields keep their value. `attributes` replaces the
 * stored object as a whole, and `publishedAt: null` clears the date. Only `publishedAt`
 * accepts null, because the other columns are NOT NULL. (Swagger's PartialType would mark
 * every field `@IsOptional()`, which lets null through.)
 */
export class PatchItemDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: MAX_TITLE_LENGTH })
  @IsOptionalNotNull()
  @IsText(1, MAX_TITLE_LENGTH)
  title?: string;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_CATEGORIES })
  @IsOptionalNotNull()
  @IsTextList(MAX_CATEGORIES, 1, MAX_CATEGORY_LENGTH)
  categories?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptionalNotNull()
  @IsAttributes()
  attributes?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'true hides the item from recommendations' })
  @IsOptionalNotNull()
  @IsBoolean({ message: '$property must be true or false' })
  hidden?: boolean;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  @IsOptional()
  @IsIsoTimestamp()
  publishedAt?: string | null;
}
