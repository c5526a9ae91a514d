import { Inject, Injectable } from '@nestjs/common';
import type { ErrorDetail } from '../common/errors/app.exception';
import { readCursorParam } from '../common/pagination/cursor-param';
import type { PageQueryDto } from '../common/pagination/page-query.dto';
import { Page, toPage } from '../common/pagination/page';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { UserNotFoundException } from '../users/users.exceptions';
import type { IngestResultDto, InteractionResponseDto } from './dto/interaction-event.dto';
import { ParsedEvent, parseEvents } from './event-parser';
import { UnknownItemsException } from './interactions.exceptions';
import {
  IdMap,
  InteractionRow,
  InteractionsRepository,
  InteractionWriter,
} from './interactions.repository';

@Injectable()
export class InteractionsService {
  constructor(
    private readonly interactions: InteractionsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores one event or a batch in one transaction. Unknown users are created; unknown
   * items are created only with AUTO_CREATE_ITEMS, else the whole batch is rejected.
   * Events whose eventId is already stored count as duplicates and are skipped.
   */
  async ingest(body: unknown): Promise<IngestResultDto> {
    const { events, isBatch } = parseEvents(body, {
      eventTypes: this.config.interactions.eventTypes,
      receivedAt: new Date(),
    });

    const accepted = await this.interactions.transaction(async (writer) => {
      const itemIds = await this.resolveItems(writer, events, isBatch);
      const userIds = await writer.upsertUsers(distinct(events.map((e) => e.userId)));
      return writer.insertEvents(
        events.map((event) => ({
          ...event,
          userId: lookUp(userIds, event.userId),
          itemId: lookUp(itemIds, event.itemId),
        })),
      );
    });

    return { accepted, duplicates: events.length - accepted };
  }

  async listForUser(
    userExternalId: string,
    query: PageQueryDto,
  ): Promise<Page<InteractionResponseDto>> {
    const cursor = readCursorParam(query.cursor, 2);
    const userId = await this.interactions.findUserId(userExternalId);
    if (userId === undefined) {
      throw new UserNotFoundException(userExternalId);
    }

    const after = cursor === undefined ? undefined : { occurredAtMicros: cursor[0], id: cursor[1] };
    const rows = await this.interactions.listForUser(userId, after, query.limit + 1);

    return toPage(
      rows,
      query.limit,
      (row) => [row.occurredAtMicros, row.id],
      toInteractionResponse,
    );
  }

  /** Maps the batch's item ids to internal ids, creating or rejecting unknown ones. */
  private async resolveItems(
    writer: InteractionWriter,
    events: ParsedEvent[],
    isBatch: boolean,
  ): Promise<IdMap> {
    const externalIds = distinct(events.map((e) => e.itemId));
    const known = await writer.findItemIds(externalIds);
    const unknown = externalIds.filter((id) => !known.has(id));
    if (unknown.length === 0) {
      return known;
    }
    if (!this.config.interactions.autoCreateItems) {
      throw new UnknownItemsException(
        unknown,
        describeUnknownItems(events, isBatch, new Set(unknown)),
      );
    }
    const created = await writer.createItems(unknown);
    return new Map([...known, ...created]);
  }
}

/** One detail per unknown item id, at the first event that names it. */
function describeUnknownItems(
  events: ParsedEvent[],
  isBatch: boolean,
  unknown: Set<string>,
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const reported = new Set<string>();
  events.forEach((event, index) => {
    if (!unknown.has(event.itemId) || reported.has(event.itemId)) {
      return;
    }
    reported.add(event.itemId);
    details.push({
      field: isBatch ? `[${index}].itemId` : 'itemId',
      value: event.itemId,
      problem: 'no item has this id',
      ...(isBatch ? { index } : {}),
    });
  });
  return details;
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}

function lookUp(ids: IdMap, externalId: string): string {
  const id = ids.get(externalId);
  if (id === undefined) {
    throw new Error(`internal id of ${JSON.stringify(externalId)} was not resolved`);
  }
  return id;
}

function toInteractionResponse(row: InteractionRow): InteractionResponseDto {
  return {
    itemId: row.itemId,
    type: row.type,
    value: row.value,
    occurredAt: row.occurredAt.toISOString(),
    eventId: row.eventId,
    recommendationId: row.recommendationId,
  };
}
