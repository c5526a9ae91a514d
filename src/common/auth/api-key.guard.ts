import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { IS_ADMIN_KEY } from './admin.decorator';
import { IS_PUBLIC_KEY } from './public.decorator';

/** Header that carries the API key. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * Checks `x-api-key` on every route except those marked {@link Public}. Routes marked
 * `@Admin()` need `ADMIN_API_KEY` (or `API_KEY` when no admin key is set). With no key
 * configured the matching routes are open.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) === true) {
      return true;
    }

    const isAdmin = this.reflector.getAllAndOverride<boolean>(IS_ADMIN_KEY, targets) === true;
    // Admin routes fall back to API_KEY, so setting only API_KEY never leaves them open.
    const expected = isAdmin
      ? (this.config.auth.adminApiKey ?? this.config.auth.apiKey)
      : this.config.auth.apiKey;
    if (expected === undefined) {
      return true;
    }

    const request = context.switchToHttp().getRequest<Request>();
    const provided = request.header(API_KEY_HEADER);
    if (provided === undefined || provided === '') {
      throw new UnauthorizedException(`missing ${API_KEY_HEADER} header`);
    }
    if (!keysMatch(provided, expected)) {
      const which = isAdmin ? 'admin API key' : 'API key';
      throw new UnauthorizedException(`invalid ${which} in ${API_KEY_HEADER} header`);
    }
    return true;
  }
}

function keysMatch(provided: string, expected: string): boolean {
  const a = Buffer.from(provided);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
