import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DomainError, type ErrorCode } from '@app/common';
import { isDatabaseUnavailable, waitExpiredOf } from '@app/database';
import { randomUUID } from 'node:crypto';

/** The HTTP status of each contract error code; the only place that knows it. */
const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TIER_NOT_FOUND: 404,
  TIER_LIMIT_EXCEEDED: 403,
  SUBSCRIPTION_INACTIVE: 403,
  FEATURE_NOT_AVAILABLE: 403,
  DOWNGRADE_EXCEEDS_LIMITS: 409,
  CONFLICT: 409,
  STRIPE_PRICE_NOT_CONFIGURED: 400,
  NO_ACTIVE_SUBSCRIPTION: 400,
  SUBSCRIPTION_NOT_CANCELLED: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  PAYMENT_SYSTEM_NOT_CONFIGURED: 503,
  SERVICE_UNAVAILABLE: 503,
  PAYMENT_PROVIDER_ERROR: 502,
  INTERNAL_ERROR: 500,
};

const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

export interface ErrorEnvelope {
  status_code: number;
  error_code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** What the HTTP adapter's body parsing throws (Fastify's `FST_ERR_CTP_*` errors) before a route runs. */
function bodyParsingError(code: string | undefined): ErrorEnvelope | undefined {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status_code: 400, error_code: 'VALIDATION_FAILED', message: 'The request body is not valid JSON.', details: { errors: [{ field: 'body', messages: ['malformed JSON'] }] } };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status_code: 413, error_code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than 1 MB.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status_code: 400, error_code: 'VALIDATION_FAILED', message: 'The request body must be JSON (Content-Type: application/json).', details: { errors: [{ field: 'body', messages: ['unsupported content type'] }] } };
    default:
      return undefined;
  }
}

/**
 * What the router refuses before any hook or route runs (Fastify's `frameworkErrors`: a path that is not valid
 * percent-encoded UTF-8, a path parameter over 100 characters): a path value that cannot be one, so 400
 * VALIDATION_FAILED like any other bad path value. Answered here because Nest's filter never sees them.
 */
export function routerErrorEnvelope(error: { statusCode?: number }): ErrorEnvelope {
  const message = error.statusCode === 414 ? 'a path value is too long' : 'not valid percent-encoded UTF-8';
  return { status_code: 400, error_code: 'VALIDATION_FAILED', message: `The URL is not valid: ${message}.`, details: { errors: [{ field: 'path', messages: [message] }] } };
}

/**
 * Every error leaves the API in the contract's envelope: domain errors by their code, framework errors
 * (unknown route, malformed JSON, oversized body, unsupported content type) by their status, anything else as a 500
 * whose id is logged with the stack and shown to the caller, so a report can be matched to the log. Replies through
 * the HTTP adapter, so it holds on Fastify and Express alike.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const http = host.switchToHttp();
    const response = http.getResponse<unknown>();
    const request = http.getRequest<unknown>();
    const body = this.envelope(exception, () => `${httpAdapter.getRequestMethod(request)} ${String(httpAdapter.getRequestUrl(request)).split('?')[0]}`);
    if (httpAdapter.isHeadersSent(response)) return;
    // A route may have set its own Content-Type (the billing page) before it threw.
    httpAdapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    httpAdapter.reply(response, body, body.status_code);
  }

  private envelope(exception: unknown, route: () => string): ErrorEnvelope {
    if (exception instanceof DomainError) {
      const status = STATUS[exception.code] ?? 500;
      return { status_code: status, error_code: exception.code, message: exception.message, ...(exception.details && { details: exception.details }) };
    }
    const framework = exception as { code?: string; status?: number; statusCode?: number };
    // Nest's Fastify adapter wraps a 4xx FastifyError in an HttpException whose cause is the original.
    const cause = (exception instanceof HttpException ? exception.cause : exception) as { code?: string } | undefined;
    const parsing = bodyParsingError(cause?.code);
    if (parsing) return parsing;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === HttpStatus.BAD_REQUEST) {
        // Our own validation failures are DomainErrors; a framework 400 is a body the parser could not read.
        const message = this.messageOf(exception);
        return { status_code: 400, error_code: 'VALIDATION_FAILED', message: `The request body could not be read: ${message}`, details: { errors: [{ field: 'body', messages: [message] }] } };
      }
      const code = CODE_OF_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
      const message = status === HttpStatus.NOT_FOUND ? `No route for ${route()}.` : this.messageOf(exception);
      return { status_code: status, error_code: code, message };
    }
    const status = framework?.statusCode ?? framework?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status_code: status, error_code: CODE_OF_STATUS[status] ?? 'BAD_REQUEST', message: 'The request could not be read.' };
    }
    const expired = waitExpiredOf(exception);
    if (expired) {
      // A lock or statement limit passed (DATABASE_*_TIMEOUT_MS): the transaction rolled back, so nothing changed.
      // The log names the limit, PostgreSQL's context (which relation's row was locked) and the statement's text.
      this.logger.warn({ route: route(), wait: expired.kind, sqlstate: expired.sqlstate, where: expired.where, statement: expired.statement }, `A database ${expired.kind.replace(/_/g, ' ')} passed: answered 503`);
      return { status_code: 503, error_code: 'SERVICE_UNAVAILABLE', message: 'The service is busy; nothing was changed. Try again shortly.' };
    }
    if (isDatabaseUnavailable(exception)) {
      // Logged without the error itself: a driver error can carry the query's parameters.
      this.logger.warn({ route: route() }, 'The database could not be reached: answered 503');
      return { status_code: 503, error_code: 'SERVICE_UNAVAILABLE', message: 'The service is temporarily unavailable; nothing was changed. Try again shortly.' };
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, error_id: errorId }, `Unhandled error ${errorId}`);
    return { status_code: 500, error_code: 'INTERNAL_ERROR', message: 'Something went wrong on our side.', details: { error_id: errorId } };
  }

  private messageOf(exception: HttpException): string {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
  }
}
