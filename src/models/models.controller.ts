import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Admin } from '../common/auth/admin.decorator';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ActiveModelService } from './active-model.service';
import {
  ListModelVersionsQueryDto,
  ModelVersionListDto,
  ModelVersionResponseDto,
  toModelVersionResponse,
} from './dto/model-version.dto';
import { ModelRegistry } from './model-registry';
import { UuidPipe } from './uuid.pipe';

@ApiTags('models')
@ApiSecurity('api-key')
@Admin()
@Controller('admin/models')
export class ModelsController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly activeModel: ActiveModelService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List model versions, newest first, with their metrics' })
  @ApiOkResponse({ type: ModelVersionListDto })
  @ApiErrorResponses()
  async list(@Query() query: ListModelVersionsQueryDto): Promise<ModelVersionListDto> {
    const versions = await this.registry.list({ limit: query.limit, status: query.status });
    return { data: versions.map(toModelVersionResponse) };
  }

  @Post(':id/activate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Make a version the active one',
    description:
      'Loads the version on this instance first, then activates it in one transaction (the ' +
      'previous active version becomes inactive). Other instances switch on NOTIFY or at ' +
      'their next poll.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ModelVersionResponseDto })
  @ApiErrorResponses(404)
  async activate(@Param('id', UuidPipe) id: string): Promise<ModelVersionResponseDto> {
    return toModelVersionResponse(await this.activeModel.activate(id));
  }
}
