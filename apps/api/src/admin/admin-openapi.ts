import { applyDecorators, type Type } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../common/openapi/index.js';

/** CONTRACT §2's envelope: the one schema every error answer references. */
export const ErrorResponseDto = ErrorEnvelopeDto;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'VALIDATION_FAILED: a query, path or body value is missing or out of range',
  401: 'UNAUTHORIZED: no, expired or bad bearer token',
  403: "FORBIDDEN: the token is not an admin's",
  404: 'NOT_FOUND / TIER_NOT_FOUND',
  409: 'CONFLICT / DOWNGRADE_EXCEEDS_LIMITS: the vendor is not in a state the action applies to',
};

/** An admin route's answers: its 2xx body and its errors (401 and 403 always). */
export function AdminResponses(ok: { status?: 200 | 201 | 202; type: Type<unknown> | [Type<unknown>] }, errors: Array<400 | 404 | 409> = []) {
  return applyDecorators(
    ApiResponse({ status: ok.status ?? 200, type: ok.type }),
    ...[...errors, 401 as const, 403 as const].map((status) => ApiResponse({ status, description: ERROR_DESCRIPTIONS[status], type: ErrorResponseDto })),
  );
}
