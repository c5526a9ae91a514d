import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { Admin } from '../common/auth/admin.decorator';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { UuidPipe } from '../models/uuid.pipe';
import { TrainingRunPageDto, TrainingRunResponseDto } from './dto/training-run-response.dto';
import { MODEL_RULES, TRAINER_RULES } from './training-parameters';
import { TrainingRunsService } from './training-runs.service';

const RUN_ID_PARAM = { name: 'id', description: 'Training run id (UUID)' };

@ApiTags('training')
@ApiSecurity('api-key')
@Admin()
@Controller('admin/training-runs')
export class TrainingRunsController {
  constructor(private readonly trainingRuns: TrainingRunsService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Queue a training run on the interactions stored so far',
    description:
      'The body may override model and trainer hyper-parameters. A worker process trains, ' +
      'evaluates the new version and the active one on the same validation users, and ' +
      'activates the new version only when its NDCG@10 is at least the active one minus ' +
      'TRAINING_PROMOTION_TOLERANCE, or when force is true. Answers 409 with the id of the ' +
      'run that is already queued or running.',
  })
  @ApiBody({
    required: false,
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        model: { type: 'object', description: `Fields: ${Object.keys(MODEL_RULES).join(', ')}` },
        trainer: {
          type: 'object',
          description: `Fields: ${Object.keys(TRAINER_RULES).join(', ')}`,
        },
        topK: { type: 'integer', minimum: 1, maximum: 1000 },
        validationUsers: { type: 'integer', minimum: 1 },
        force: { type: 'boolean', default: false },
      },
    },
  })
  @ApiAcceptedResponse({ type: TrainingRunResponseDto, description: 'Queued' })
  @ApiErrorResponses(409)
  start(@Body() body: unknown): Promise<TrainingRunResponseDto> {
    return this.trainingRuns.start(body);
  }

  @Get()
  @ApiOperation({ summary: 'List training runs, newest first, one page at a time' })
  @ApiOkResponse({ type: TrainingRunPageDto })
  @ApiErrorResponses()
  list(@Query() query: PageQueryDto): Promise<TrainingRunPageDto> {
    return this.trainingRuns.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a training run with its progress' })
  @ApiParam(RUN_ID_PARAM)
  @ApiOkResponse({ type: TrainingRunResponseDto })
  @ApiErrorResponses(404)
  get(@Param('id', UuidPipe) id: string): Promise<TrainingRunResponseDto> {
    return this.trainingRuns.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Cancel a training run',
    description:
      'A queued run is cancelled at once. A running run stops within one training step and ' +
      'ends as cancelled; the active model does not change.',
  })
  @ApiParam(RUN_ID_PARAM)
  @ApiAcceptedResponse({ type: TrainingRunResponseDto })
  @ApiErrorResponses(404, 409)
  cancel(@Param('id', UuidPipe) id: string): Promise<TrainingRunResponseDto> {
    return this.trainingRuns.cancel(id);
  }
}
