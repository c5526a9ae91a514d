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
  EventInsert,
  IdMap,
  InteractionRow,
  InteractionsRepository,
} from './interactions.repository';

@Injectable()
export class InteractionsService {
  constructor(
    private readonly interactions: InteractionsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores one event or a batch, entirely or not at all. Unknown users are created. Unknown
   * items are created only with AUTO_CREATE_ITEMS, and otherwise the whole batch is
   * rejected. Events whose eventId is already stored count as duplicates and are skipped.
   */
  async ingest(body: unknown): Promise<IngestResultDto> {
    const { events, isBatch } = parseEvents(body, {
      eventTypes: this.config.interactions.eventTypes,
      receivedAt: new Date(),
    });

    const itemExternalIds = distinct(events.map((e) => e.itemId));
    const knownItems = await this.interactions.findItemIds(itemExternalIds);
    const unknownItems = itemExternalIds.filter((id) => !knownItems.has(id));
    if (unknownItems.length > 0 && !this.config.interactions.autoCreateItems) {
      throw new UnknownItemsException(
        unknownItems,
        describeUnknownItems(events, isBatch, new Set(unknownItems)),
      );
    }

    // Users and events go in one statement, which is atomic by itself. Creating items adds
    // a statement before it, so then both run in one transaction.
    // NOTE: an item deleted between the lookup above and this insert fails its foreign key,
    // so the request gets 500 INTERNAL_ERROR instead of UNKNOWN_ITEMS. Nothing is stored.
    const accepted = await this.interactions.write(unknownItems.length > 0, async (writer) => {
      const itemIds =
        unknownItems.length === 0
          ? knownItems
          : new Map([...knownItems, ...(await writer.createItems(unknownItems))]);
      return writer.insertEventsWithUsers(events.map((event) => toEventInsert(event, itemIds)));
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
}

/** Builds one detail per unknown item id, at the first event that names it. */
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

function toEventInsert(event: ParsedEvent, itemIds: IdMap): EventInsert {
  const itemId = itemIds.get(event.itemId);
  if (itemId === undefined) {
    throw new Error(`internal id of item ${JSON.stringify(event.itemId)} was not resolved`);
  }
  return {
    userExternalId: event.userId,
    itemId,
    type: event.type,
    value: event.value,
    occurredAt: event.occurredAt,
    eventId: event.eventId,
    recommendationId: event.recommendationId,
  };
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
