import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';

/** Header a caller may send to choose the request id; it is echoed in the response. */
export const REQUEST_ID_HEADER = 'x-request-id';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * pino settings: JSON lines (or pretty output), one line per request with its id, route,
 * status and duration, and no API keys in the logs.
 */
export function buildLoggerParams(config: AppConfig['log']): Params {
  return {
    pinoHttp: {
      level: config.level,
      transport:
        config.format === 'pretty'
          ? { target: 'pino-pretty', options: { singleLine: true } }
          : undefined,
      genReqId: (request: IncomingMessage, response: ServerResponse) => {
        const header = request.headers[REQUEST_ID_HEADER];
        const id =
          typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
        response.setHeader(REQUEST_ID_HEADER, id);
        return id;
      },
      redact: {
        paths: ['req.headers["x-api-key"]', 'req.headers.authorization', 'req.headers.cookie'],
        censor: '<redacted>',
      },
      serializers: {
        req: (request: { id: string; method: string; url: string }) => ({
          id: request.id,
          method: request.method,
          url: request.url,
        }),
        res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
      },
      customSuccessMessage: (request, response, responseTime) =>
        `${request.method} ${request.url} ${response.statusCode} ${Math.round(responseTime)}ms`,
      customErrorMessage: (request, response) =>
        `${request.method} ${request.url} ${response.statusCode} failed`,
    },
  };
}
