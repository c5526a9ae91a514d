import { Injectable } from '@nestjs/common';
import { readCursorParam } from '../common/pagination/cursor-param';
import type { PageQueryDto } from '../common/pagination/page-query.dto';
import { Page, toPage } from '../common/pagination/page';
import type { PutUserDto } from './dto/put-user.dto';
import type { UserResponseDto } from './dto/user-response.dto';
import { UserNotFoundException } from './users.exceptions';
import { UserRow, UsersRepository } from './users.repository';

@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

  /** Creates the user or replaces its attributes; `created` is false for a replacement. */
  async put(
    externalId: string,
    dto: PutUserDto,
  ): Promise<{ user: UserResponseDto; created: boolean }> {
    const { user, created } = await this.users.upsert(externalId, dto.attributes ?? {});
    return { user: toUserResponse(user), created };
  }

  async get(externalId: string): Promise<UserResponseDto> {
    const user = await this.users.findByExternalId(externalId);
    if (user === undefined) {
      throw new UserNotFoundException(externalId);
    }
    return toUserResponse(user);
  }

  async list(query: PageQueryDto): Promise<Page<UserResponseDto>> {
    const [afterId] = readCursorParam(query.cursor, 1) ?? [];

    const rows = await this.users.list(afterId, query.limit + 1);

    return toPage(rows, query.limit, (row) => [row.id], toUserResponse);
  }

  async delete(externalId: string): Promise<void> {
    const deleted = await this.users.deleteByExternalId(externalId);
    if (!deleted) {
      throw new UserNotFoundException(externalId);
    }
  }
}

function toUserResponse(row: UserRow): UserResponseDto {
  return {
    id: row.externalId,
    attributes: row.attributes,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
