import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, ValidateNested } from 'class-validator';
import {
  IsExternalId,
  MAX_BATCH_SIZE,
  MaxBatchSize,
} from '../../common/validation/validation.decorators';
import { ItemFieldsDto } from './item-fields.dto';

export class BulkItemDto extends ItemFieldsDto {
  @ApiProperty({ description: "The caller's item id (1 to 128 characters)", example: 'sku-1001' })
  @IsExternalId()
  id!: string;
}

export class BulkItemsDto {
  @ApiProperty({ type: [BulkItemDto], minItems: 1, maxItems: MAX_BATCH_SIZE })
  @IsArray()
  @ArrayMinSize(1)
  @MaxBatchSize()
  @ValidateNested({ each: true })
  @Type(() => BulkItemDto)
  items!: BulkItemDto[];
}

export class BulkItemsResultDto {
  @ApiProperty({ description: 'Items that did not exist before' })
  created!: number;

  @ApiProperty({ description: 'Existing items whose fields were replaced' })
  updated!: number;
}
