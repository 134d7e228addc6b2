import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import { DomainError, type ErrorCode } from '@app/common';
import type { Request, Response } from 'express';
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
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

export interface ErrorEnvelope {
  status_code: number;
  error_code: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Every error leaves the API in the contract's envelope: domain errors by their code, framework errors
 * (unknown route, malformed JSON, oversized body, throttling) by their status, anything else as a 500
 * whose id is logged with the stack and shown to the caller, so a report can be matched to the log.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const body = this.envelope(exception, request);
    if (response.headersSent) return;
    response.status(body.status_code).json(body);
  }

  private envelope(exception: unknown, request: Request): ErrorEnvelope {
    if (exception instanceof DomainError) {
      const status = STATUS[exception.code] ?? 500;
      return { status_code: status, error_code: exception.code, message: exception.message, ...(exception.details && { details: exception.details }) };
    }
    const bodyParser = exception as { type?: string; status?: number };
    if (bodyParser?.type === 'entity.parse.failed') {
      return { status_code: 400, error_code: 'VALIDATION_FAILED', message: 'The request body is not valid JSON.', details: { errors: [{ field: 'body', messages: ['malformed JSON'] }] } };
    }
    if (bodyParser?.type === 'entity.too.large') {
      return { status_code: 413, error_code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than 1 MB.' };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === HttpStatus.BAD_REQUEST) {
        // Our own validation failures are DomainErrors; a framework 400 is a body the parser could not read.
        const message = this.messageOf(exception);
        return { status_code: 400, error_code: 'VALIDATION_FAILED', message: `The request body could not be read: ${message}`, details: { errors: [{ field: 'body', messages: [message] }] } };
      }
      const code = CODE_OF_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
      const message = status === HttpStatus.NOT_FOUND ? `No route for ${request.method} ${request.path}.` : this.messageOf(exception);
      return { status_code: status, error_code: code, message };
    }
    if (typeof bodyParser?.status === 'number' && bodyParser.status >= 400 && bodyParser.status < 500) {
      return { status_code: bodyParser.status, error_code: CODE_OF_STATUS[bodyParser.status] ?? 'BAD_REQUEST', message: 'The request could not be read.' };
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
