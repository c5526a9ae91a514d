import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Admin } from '../common/auth/admin.decorator';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { previewValue } from '../common/errors/problem-description';
import { ValidationFailedException } from '../common/errors/request.exceptions';
import { parseIsoTimestamp } from '../common/validation/iso-timestamp';
import { AttributionQueryDto, RecommendationsQueryDto } from './dto/recommendations-query.dto';
import { AttributionReportDto, RecommendationListDto } from './dto/recommendation-list.dto';
import { RecommendationsService } from './recommendations.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@ApiTags('recommendations')
@ApiSecurity('api-key')
@Controller()
export class RecommendationsController {
  constructor(
    @Inject(RecommendationsService) private readonly recommendations: RecommendationsService,
  ) {}

  @Get('recommendations')
  @ApiOperation({
    summary: 'Recommend items to a user, fresh from their latest interactions',
    description:
      'Ranks with the active model; users without history, unknown users, and every user ' +
      'while no model is active get the most popular items (`source: "popular"`). Every ' +
      'served list is stored; its `id` can be sent with interactions as `recommendationId`.',
  })
  @ApiOkResponse({ type: RecommendationListDto })
  @ApiErrorResponses()
  recommend(@Query() query: RecommendationsQueryDto): Promise<RecommendationListDto> {
    return this.recommendations.recommend({
      userId: query.userId,
      n: query.n,
      offset: query.offset,
      categories: query.category ?? [],
      exclude: query.exclude ?? [],
      explain: query.explain ?? false,
    });
  }

  @Get('recommendations/:id')
  @ApiOperation({ summary: 'Get a served list exactly as it was returned' })
  @ApiParam({ name: 'id', description: 'The `id` of a served list (UUID)' })
  @ApiOkResponse({ type: RecommendationListDto })
  @ApiErrorResponses(404)
  getList(@Param('id') id: string): Promise<RecommendationListDto> {
    if (!UUID.test(id)) {
      throw new ValidationFailedException([
        { field: 'id', value: previewValue(id), problem: 'must be a UUID' },
      ]);
    }
    return this.recommendations.getList(id);
  }

  @Get('admin/recommendations/attribution')
  @Admin()
  @ApiOperation({
    summary: 'Served lists and the share that led to a click or purchase, per model version',
    description:
      'A list counts as converted when an interaction of type click or purchase carries its ' +
      'id as `recommendationId`.',
  })
  @ApiOkResponse({ type: AttributionReportDto })
  @ApiErrorResponses()
  attribution(@Query() query: AttributionQueryDto): Promise<AttributionReportDto> {
    const since = query.since === undefined ? null : (parseIsoTimestamp(query.since) as Date);
    return this.recommendations.attribution(since);
  }
}
