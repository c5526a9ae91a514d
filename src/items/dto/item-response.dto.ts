import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import { IsText } from '../../common/validation/validation.decorators';
import { MAX_CATEGORY_LENGTH } from './item-fields.dto';

export class ItemResponseDto {
  @ApiProperty({ description: "The caller's item id", example: 'sku-1001' })
  id!: string;

  @ApiProperty()
  title!: string;

  @ApiProperty({ type: [String] })
  categories!: string[];

  @ApiProperty({ type: 'object', additionalProperties: true })
  attributes!: Record<string, unknown>;

  @ApiProperty()
  hidden!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  publishedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: string;
}

export class ItemPageDto {
  @ApiProperty({ type: [ItemResponseDto] })
  data!: ItemResponseDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Cursor of the next page' })
  nextCursor!: string | null;
}

export class ListItemsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Return only items in this category' })
  @IsOptional()
  @IsText(1, MAX_CATEGORY_LENGTH)
  category?: string;
}
