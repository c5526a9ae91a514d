import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from './error-code';

export class ErrorDetailDto {
  @ApiProperty({ description: 'Path of the field, e.g. `[3].itemId` or `items[0].title`' })
  field!: string;

  @ApiPropertyOptional({
    description: 'The rejected value; strings and objects longer than 200 characters are cut',
  })
  value?: unknown;

  @ApiProperty({ example: 'must be at most 128 characters long (got 129)' })
  problem!: string;

  @ApiPropertyOptional({ description: 'Position of the element in a batch' })
  index?: number;
}

/** Body of every error response. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', example: ErrorCode.ValidationFailed })
  code!: ErrorCode;

  @ApiProperty({ example: 'userId must be a string (value: 42)' })
  message!: string;

  @ApiProperty({ type: [ErrorDetailDto] })
  details!: ErrorDetailDto[];
}
