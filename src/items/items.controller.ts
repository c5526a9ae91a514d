import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ExternalIdPipe } from '../common/validation/external-id.pipe';
import { BulkItemsDto, BulkItemsResultDto } from './dto/bulk-items.dto';
import { ItemFieldsDto } from './dto/item-fields.dto';
import { ItemPageDto, ItemResponseDto, ListItemsQueryDto } from './dto/item-response.dto';
import { PatchItemDto } from './dto/patch-item.dto';
import { ItemsService } from './items.service';

const ITEM_ID_PARAM = { name: 'id', description: "The caller's item id (1 to 128 characters)" };

@ApiTags('items')
@ApiSecurity('api-key')
@Controller('items')
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Put(':id')
  @ApiOperation({ summary: 'Create an item or replace all of its fields' })
  @ApiParam(ITEM_ID_PARAM)
  @ApiCreatedResponse({ type: ItemResponseDto, description: 'Created' })
  @ApiOkResponse({ type: ItemResponseDto, description: 'Replaced' })
  @ApiErrorResponses(413)
  async put(
    @Param('id', ExternalIdPipe) id: string,
    @Body() body: ItemFieldsDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ItemResponseDto> {
    const { item, created } = await this.items.put(id, body);
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return item;
  }

  @Post('bulk')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Create or replace up to 1,000 items in one transaction',
    description:
      'All items are stored or none. Errors name the element, e.g. `items[3].title`. ' +
      'An id may appear only once per request.',
  })
  @ApiOkResponse({ type: BulkItemsResultDto })
  @ApiErrorResponses(413)
  bulkUpsert(@Body() body: BulkItemsDto): Promise<BulkItemsResultDto> {
    return this.items.bulkUpsert(body.items);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change some fields of an item (hide, unhide, recategorise…)' })
  @ApiParam(ITEM_ID_PARAM)
  @ApiOkResponse({ type: ItemResponseDto })
  @ApiErrorResponses(404)
  patch(
    @Param('id', ExternalIdPipe) id: string,
    @Body() body: PatchItemDto,
  ): Promise<ItemResponseDto> {
    return this.items.patch(id, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an item' })
  @ApiParam(ITEM_ID_PARAM)
  @ApiOkResponse({ type: ItemResponseDto })
  @ApiErrorResponses(404)
  get(@Param('id', ExternalIdPipe) id: string): Promise<ItemResponseDto> {
    return this.items.get(id);
  }

  @Get()
  @ApiOperation({ summary: 'List items, oldest first, optionally of one category' })
  @ApiOkResponse({ type: ItemPageDto })
  @ApiErrorResponses()
  list(@Query() query: ListItemsQueryDto): Promise<ItemPageDto> {
    return this.items.list(query);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an item and every interaction with it' })
  @ApiParam(ITEM_ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses(404)
  delete(@Param('id', ExternalIdPipe) id: string): Promise<void> {
    return this.items.delete(id);
  }
}
