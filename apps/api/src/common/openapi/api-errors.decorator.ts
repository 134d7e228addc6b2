import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from './error-envelope.dto.js';

/** The error statuses a route can answer, and which contract codes each stands for (CONTRACT §2). */
const ERROR_STATUSES = {
  400: 'VALIDATION_FAILED (a body, query or path value is missing, of the wrong type or out of range; details.errors lists each field)',
  401: 'UNAUTHORIZED (no, expired or bad bearer token; wrong login)',
  403: 'FORBIDDEN (a token without the role the route needs)',
  404: 'NOT_FOUND (the thing does not exist or belongs to another vendor)',
  409: 'CONFLICT (a unique value is taken)',
  413: 'PAYLOAD_TOO_LARGE (a body over 1 MB)',
  415: 'UNSUPPORTED_MEDIA_TYPE (a compressed body, or a charset other than UTF-8)',
  429: 'RATE_LIMITED (too many attempts from one client; see Retry-After)',
  502: 'PAYMENT_PROVIDER_ERROR (Stripe answered an error or could not be reached)',
  503: 'PAYMENT_SYSTEM_NOT_CONFIGURED (Stripe is not configured) or SERVICE_UNAVAILABLE (the database cannot be reached, or a lock or statement limit passed)',
} as const;

export type ErrorStatus = keyof typeof ERROR_STATUSES;

/**
 * Declares error answers in the contract's envelope. Each argument is a status (described by its usual codes) or
 * `[status, description]` to name the route's own codes. Applies to a method or to a whole controller; a
 * method's declaration of the same status wins.
 *
 *   @ApiErrors(400, [404, 'TIER_NOT_FOUND'], [409, 'DOWNGRADE_EXCEEDS_LIMITS'])
 */
export function ApiErrors(...answers: Array<ErrorStatus | [ErrorStatus, string]>) {
  return applyDecorators(
    ApiExtraModels(ErrorEnvelopeDto),
    ...answers.map((answer) => {
      const [status, description] = Array.isArray(answer) ? answer : [answer, ERROR_STATUSES[answer]];
      return ApiResponse({ status, description, type: ErrorEnvelopeDto });
    }),
  );
}

/** Routes that call Stripe: 502 when Stripe fails, 503 when it is not configured. */
export const ApiStripeErrors = () => ApiErrors(502, 503);
