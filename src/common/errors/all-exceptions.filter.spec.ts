import { ArgumentsHost, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { UserNotFoundException } from '../../users/users.exceptions';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { ErrorCode } from './error-code';
import { httpStatusFor } from './error-status';

function createHost() {
  const log = { warn: jest.fn(), error: jest.fn() };
  const request = { id: 'req-1', log };
  const response = {
    headersSent: false,
    status: jest.fn().mockReturnThis(),
    json: jest.fn().mockReturnThis(),
  };
  const host = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ArgumentsHost;
  return { host, log, response };
}

describe('AllExceptionsFilter', () => {
  const filter = new AllExceptionsFilter();

  it('maps a feature exception by its code', () => {
    const { host, response } = createHost();

    filter.catch(new UserNotFoundException('u-1'), host);

    expect(response.status).toHaveBeenCalledWith(404);
    expect(response.json).toHaveBeenCalledWith({
      statusCode: 404,
      code: ErrorCode.NotFound,
      message: 'user "u-1" not found',
      details: [{ field: 'id', value: 'u-1', problem: 'no user has this id' }],
    });
  });

  it('hides unknown errors behind a 500', () => {
    const { host, response } = createHost();

    filter.catch(new Error('connection to 10.0.0.5 refused'), host);

    expect(response.status).toHaveBeenCalledWith(500);
    expect(response.json).toHaveBeenCalledWith({
      statusCode: 500,
      code: ErrorCode.InternalError,
      message: 'internal server error',
      details: [],
    });
  });

  it('logs unknown errors with the request id', () => {
    const { host, log } = createHost();
    const error = new Error('boom');

    filter.catch(error, host);

    expect(log.error).toHaveBeenCalledWith(
      expect.objectContaining({ requestId: 'req-1', err: error }),
      expect.stringContaining('boom'),
    );
  });

  it('logs client errors with the request id', () => {
    const { host, log } = createHost();

    filter.catch(new UserNotFoundException('u-1'), host);

    expect(log.warn).toHaveBeenCalledWith(
      expect.objectContaining({ requestId: 'req-1', code: ErrorCode.NotFound }),
      expect.stringContaining('u-1'),
    );
  });

  it('maps NestJS 404 to ROUTE_NOT_FOUND', () => {
    const { host, response } = createHost();

    filter.catch(new NotFoundException('Cannot GET /x'), host);

    expect(response.json).toHaveBeenCalledWith(
      expect.objectContaining({ code: ErrorCode.RouteNotFound, message: 'Cannot GET /x' }),
    );
  });

  it('maps 401 to UNAUTHORIZED', () => {
    const { host, response } = createHost();

    filter.catch(new UnauthorizedException('missing x-api-key header'), host);

    expect(response.status).toHaveBeenCalledWith(401);
  });

  it('leaves a sent response alone', () => {
    const { host, response } = createHost();
    response.headersSent = true;

    filter.catch(new Error('late'), host);

    expect(response.status).not.toHaveBeenCalled();
  });
});

describe('httpStatusFor', () => {
  it.each(Object.values(ErrorCode))('maps %s to an error status', (code) => {
    expect(httpStatusFor(code)).toBeGreaterThanOrEqual(400);
  });
});
