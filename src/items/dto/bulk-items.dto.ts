import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, ValidateNested, ValidationArguments } from 'class-validator';
import { findObjectTypeProblem } from '../../common/validation/json-object';
import {
  IsExternalId,
  MAX_BATCH_SIZE,
  MaxBatchSize,
  ValidateInOrder,
} from '../../common/validation/validation.decorators';
import { ItemFieldsDto } from './item-fields.dto';

export class BulkItemDto extends ItemFieldsDto {
  @ApiProperty({ description: "The caller's item id (1 to 128 characters)", example: 'sku-1001' })
  @IsExternalId()
  id!: string;
}

/** Describes a batch element that is not a JSON object, naming its type. */
function describeNonObject(args: ValidationArguments): string {
  return findObjectTypeProblem(args.value) ?? 'must be a JSON object';
}

export class BulkItemsDto {
  @ApiProperty({ type: [BulkItemDto], minItems: 1, maxItems: MAX_BATCH_SIZE })
  @ValidateInOrder(
    IsArray({ message: '$property must be an array of JSON objects' }),
    ArrayMinSize(1, { message: '$property must contain at least one item' }),
    MaxBatchSize(),
  )
  @ValidateNested({ each: true, message: describeNonObject })
  @Type(() => BulkItemDto)
  items!: BulkItemDto[];
}

export class BulkItemsResultDto {
  @ApiProperty({ description: 'Items that did not exist before' })
  created!: number;

  @ApiProperty({ description: 'Existing items whose fields were replaced' })
  updated!: number;
}
