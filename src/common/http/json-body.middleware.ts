import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import type { AppException } from '../errors/app.exception';
import {
  InvalidJsonException,
  PayloadTooLargeException,
  UnreadableBodyException,
  UnsupportedMediaTypeException,
} from '../errors/request.exceptions';

/** Error object that body-parser passes on; `type` names the failure. */
interface BodyParserError {
  type?: string;
  message?: string;
}

/**
 * Parses JSON bodies up to `BODY_LIMIT_BYTES` and turns parser failures into API errors.
 *
 * It runs as a NestJS middleware instead of an Express one for two reasons. It then comes
 * after the request logger, so the error log line carries the request id. And its errors
 * reach the global exception filter, which Express-level middleware errors never do.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: RequestHandler;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.parse = express.json({ limit: config.http.bodyLimitBytes, strict: true });
  }

  use(request: Request, response: Response, next: NextFunction): Promise<void> {
    return new Promise((resolve, reject) => {
      void this.parse(request, response, (error?: unknown) => {
        if (error === undefined || error === null) {
          resolve();
          next();
          return;
        }
        reject(this.translate(error));
      });
    });
  }

  private translate(error: BodyParserError): AppException {
    const reason = error.message ?? 'unknown parser error';
    if (error.type === 'entity.parse.failed') {
      return new InvalidJsonException(reason);
    }
    if (error.type === 'entity.too.large') {
      return new PayloadTooLargeException(this.config.http.bodyLimitBytes);
    }
    if (error.type === 'charset.unsupported' || error.type === 'encoding.unsupported') {
      return new UnsupportedMediaTypeException(reason);
    }
    // request.aborted, request.size.invalid and other failures to read the stream.
    return new UnreadableBodyException(reason);
  }
}
