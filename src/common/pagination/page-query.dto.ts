import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsIntegerParam, ValidateInOrder } from '../validation/validation.decorators';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;
const MAX_CURSOR_LENGTH = 512;

/** Query parameters of every paginated list. */
export class PageQueryDto {
  @ApiPropertyOptional({
    description: 'Page size',
    minimum: 1,
    maximum: MAX_PAGE_LIMIT,
    default: DEFAULT_PAGE_LIMIT,
  })
  @IsOptional()
  @IsIntegerParam(1, MAX_PAGE_LIMIT)
  limit: number = DEFAULT_PAGE_LIMIT;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page' })
  @IsOptional()
  @ValidateInOrder(
    IsString({ message: '$property must be a string' }),
    MaxLength(MAX_CURSOR_LENGTH, {
      message: `$property must be at most ${MAX_CURSOR_LENGTH} characters long`,
    }),
  )
  cursor?: string;
}
