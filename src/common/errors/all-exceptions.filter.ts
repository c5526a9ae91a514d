import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppException, ErrorDetail } from './app.exception';
import { ErrorCode } from './error-code';
import type { ErrorResponseDto } from './error-response.dto';
import { errorCodeForHttpStatus, httpStatusFor } from './error-status';

interface ErrorReport {
  code: ErrorCode;
  message: string;
  details: ErrorDetail[];
}

/**
 * The one place that turns exceptions into HTTP responses of the shape
 * `{ statusCode, code, message, details }` and logs them with the request id.
 *
 * Feature exceptions carry their code. HTTP exceptions raised by NestJS or guards get a code
 * from their status. Anything else becomes a 500 `INTERNAL_ERROR` whose body reveals nothing
 * about the failure, while the log line contains the stack.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly fallbackLogger = new Logger('AllExceptionsFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<Request>();
    const response = context.getResponse<Response>();

    const report = toErrorReport(exception);
    const statusCode = httpStatusFor(report.code);
    this.log(request, statusCode, report, exception);

    if (response.headersSent) {
      return;
    }
    const body: ErrorResponseDto = { statusCode, ...report };
    response.status(statusCode).json(body);
  }

  private log(request: Request, statusCode: number, report: ErrorReport, error: unknown): void {
    const fields = { requestId: request.id, code: report.code, statusCode };
    const requestLogger = (request as Partial<Request>).log;
    if (requestLogger === undefined) {
      this.fallbackLogger.error({ ...fields, err: error }, report.message);
      return;
    }
    if (statusCode >= 500) {
      requestLogger.error({ ...fields, err: error }, `request failed: ${describeError(error)}`);
    } else {
      requestLogger.warn(fields, `request rejected: ${report.message}`);
    }
  }
}

function toErrorReport(exception: unknown): ErrorReport {
  if (exception instanceof AppException) {
    return { code: exception.code, message: exception.message, details: exception.details };
  }
  if (exception instanceof HttpException) {
    const code = errorCodeForHttpStatus(exception.getStatus());
    if (code !== ErrorCode.InternalError) {
      return { code, message: exception.message, details: [] };
    }
  }
  return { code: ErrorCode.InternalError, message: 'internal server error', details: [] };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
