import { Body, Controller, Get, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { ExternalIdPipe } from '../common/validation/external-id.pipe';
import { MAX_BATCH_SIZE } from '../common/validation/validation.decorators';
import {
  IngestResultDto,
  InteractionEventDto,
  InteractionPageDto,
} from './dto/interaction-event.dto';
import { InteractionsService } from './interactions.service';

@ApiTags('interactions')
@ApiSecurity('api-key')
@ApiExtraModels(InteractionEventDto)
@Controller()
export class InteractionsController {
  constructor(private readonly interactions: InteractionsService) {}

  @Post('interactions')
  @ApiOperation({
    summary: 'Record one interaction event or a batch of up to 1,000',
    description:
      'A batch is stored entirely or not at all. Events whose eventId is already stored ' +
      'are skipped and counted as duplicates. Responds 201 when at least one event was ' +
      'stored and 200 when all were duplicates.',
  })
  @ApiBody({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(InteractionEventDto) },
        {
          type: 'array',
          items: { $ref: getSchemaPath(InteractionEventDto) },
          minItems: 1,
          maxItems: MAX_BATCH_SIZE,
        },
      ],
    },
  })
  @ApiCreatedResponse({ type: IngestResultDto, description: 'At least one event stored' })
  @ApiOkResponse({ type: IngestResultDto, description: 'Every event was a duplicate' })
  @ApiErrorResponses(413, 422)
  async ingest(
    @Body() body: unknown,
    @Res({ passthrough: true }) response: Response,
  ): Promise<IngestResultDto> {
    const result = await this.interactions.ingest(body);
    response.status(result.accepted > 0 ? HttpStatus.CREATED : HttpStatus.OK);
    return result;
  }

  @Get('users/:id/interactions')
  @ApiOperation({ summary: "List a user's interactions, newest first" })
  @ApiParam({ name: 'id', description: "The caller's user id" })
  @ApiOkResponse({ type: InteractionPageDto })
  @ApiErrorResponses(404)
  listForUser(
    @Param('id', ExternalIdPipe) id: string,
    @Query() query: PageQueryDto,
  ): Promise<InteractionPageDto> {
    return this.interactions.listForUser(id, query);
  }
}
