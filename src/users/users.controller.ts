import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
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
import { PageQueryDto } from '../common/pagination/page-query.dto';
import { ExternalIdPipe } from '../common/validation/external-id.pipe';
import { PutUserDto } from './dto/put-user.dto';
import { UserPageDto, UserResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

const USER_ID_PARAM = { name: 'id', description: "The caller's user id (1 to 128 characters)" };

@ApiTags('users')
@ApiSecurity('api-key')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Put(':id')
  @ApiOperation({ summary: 'Create a user or replace its attributes' })
  @ApiParam(USER_ID_PARAM)
  @ApiCreatedResponse({ type: UserResponseDto, description: 'Created' })
  @ApiOkResponse({ type: UserResponseDto, description: 'Replaced' })
  @ApiErrorResponses(413)
  async put(
    @Param('id', ExternalIdPipe) id: string,
    @Body() body: PutUserDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UserResponseDto> {
    const { user, created } = await this.users.put(id, body);
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return user;
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a user' })
  @ApiParam(USER_ID_PARAM)
  @ApiOkResponse({ type: UserResponseDto })
  @ApiErrorResponses(404)
  get(@Param('id', ExternalIdPipe) id: string): Promise<UserResponseDto> {
    return this.users.get(id);
  }

  @Get()
  @ApiOperation({ summary: 'List users, oldest first, one page at a time' })
  @ApiOkResponse({ type: UserPageDto })
  @ApiErrorResponses()
  list(@Query() query: PageQueryDto): Promise<UserPageDto> {
    return this.users.list(query);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a user and all of its interactions' })
  @ApiParam(USER_ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses(404)
  delete(@Param('id', ExternalIdPipe) id: string): Promise<void> {
    return this.users.delete(id);
  }
}
