import { Injectable } from '@nestjs/common';
import type { ErrorDetail } from '../common/errors/app.exception';
import { readCursorParam } from '../common/pagination/cursor-param';
import { Page, toPage } from '../common/pagination/page';
import type { BulkItemDto, BulkItemsResultDto } from './dto/bulk-items.dto';
import type { ItemFieldsDto } from './dto/item-fields.dto';
import type { ItemResponseDto, ListItemsQueryDto } from './dto/item-response.dto';
import type { PatchItemDto } from './dto/patch-item.dto';
import {
  DuplicateItemIdsException,
  EmptyItemPatchException,
  ItemNotFoundException,
} from './items.exceptions';
import { ItemChanges, ItemInput, ItemRow, ItemsRepository } from './items.repository';

const PATCHABLE_FIELDS: (keyof PatchItemDto)[] = [
  'title',
  'categories',
  'attributes',
  'hidden',
  'publishedAt',
];

@Injectable()
export class ItemsService {
  constructor(private readonly items: ItemsRepository) {}

  /** Creates the item or replaces all of its fields; `created` is false for a replacement. */
  async put(
    externalId: string,
    dto: ItemFieldsDto,
  ): Promise<{ item: ItemResponseDto; created: boolean }> {
    const { item, created } = await this.items.upsert(toItemInput(externalId, dto));
    return { item: toItemResponse(item), created };
  }

  /** Creates or replaces up to 1,000 items at once; all of them are stored or none. */
  async bulkUpsert(dtos: BulkItemDto[]): Promise<BulkItemsResultDto> {
    assertDistinctIds(dtos);

    const inputs = dtos.map((dto) => toItemInput(dto.id, dto));

    return this.items.bulkUpsert(inputs);
  }

  async patch(externalId: string, dto: PatchItemDto): Promise<ItemResponseDto> {
    const changes = toItemChanges(dto);
    if (Object.keys(changes).length === 0) {
      throw new EmptyItemPatchException(PATCHABLE_FIELDS);
    }

    const item = await this.items.update(externalId, changes);
    if (item === undefined) {
      throw new ItemNotFoundException(externalId);
    }
    return toItemResponse(item);
  }

  async get(externalId: string): Promise<ItemResponseDto> {
    const item = await this.items.findByExternalId(externalId);
    if (item === undefined) {
      throw new ItemNotFoundException(externalId);
    }
    return toItemResponse(item);
  }

  async list(query: ListItemsQueryDto): Promise<Page<ItemResponseDto>> {
    const [afterId] = readCursorParam(query.cursor, 1) ?? [];

    const rows = await this.items.list(query.category, afterId, query.limit + 1);

    return toPage(rows, query.limit, (row) => [row.id], toItemResponse);
  }

  async delete(externalId: string): Promise<void> {
    const deleted = await this.items.deleteByExternalId(externalId);
    if (!deleted) {
      throw new ItemNotFoundException(externalId);
    }
  }
}

/** Rejects a bulk request that names an id twice, listing every repeated element. */
function assertDistinctIds(dtos: BulkItemDto[]): void {
  const firstIndex = new Map<string, number>();
  const details: ErrorDetail[] = [];
  dtos.forEach((dto, index) => {
    const first = firstIndex.get(dto.id);
    if (first === undefined) {
      firstIndex.set(dto.id, index);
      return;
    }
    details.push({
      field: `items[${index}].id`,
      value: dto.id,
      problem: `repeats the id of items[${first}]; each id may appear once per request`,
      index,
    });
  });
  if (details.length > 0) {
    throw new DuplicateItemIdsException(details);
  }
}

function toItemInput(externalId: string, dto: ItemFieldsDto): ItemInput {
  return {
    externalId,
    title: dto.title,
    categories: dto.categories ?? [],
    attributes: dto.attributes ?? {},
    hidden: dto.hidden ?? false,
    publishedAt: toDateOrNull(dto.publishedAt),
  };
}

function toItemChanges(dto: PatchItemDto): ItemChanges {
  const changes: ItemChanges = {
    title: dto.title,
    categories: dto.categories,
    attributes: dto.attributes,
    hidden: dto.hidden,
    publishedAt: dto.publishedAt === undefined ? undefined : toDateOrNull(dto.publishedAt),
  };
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
}

function toDateOrNull(timestamp: string | null | undefined): Date | null {
  return timestamp === undefined || timestamp === null ? null : new Date(timestamp);
}

function toItemResponse(row: ItemRow): ItemResponseDto {
  return {
    id: row.externalId,
    title: row.title,
    categories: row.categories,
    attributes: row.attributes,
    hidden: row.hidden,
    publishedAt: row.publishedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
