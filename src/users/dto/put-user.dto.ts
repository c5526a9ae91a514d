import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { MAX_ATTRIBUTES_BYTES } from '../../common/validation/json-object';
import { IsAttributes } from '../../common/validation/validation.decorators';

export class PutUserDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `Free-form JSON object, at most ${MAX_ATTRIBUTES_BYTES} bytes; replaces the stored one`,
    example: { country: 'DE', plan: 'pro' },
  })
  @IsOptional()
  @IsAttributes()
  attributes?: Record<string, unknown>;
}
