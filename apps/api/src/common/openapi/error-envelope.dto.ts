import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ErrorCode } from '@app/common';

/** Every contract error code (CONTRACT §2), for the envelope's enum. */
export const ERROR_CODES = [
  'VALIDATION_FAILED', 'BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'TIER_NOT_FOUND', 'TIER_LIMIT_EXCEEDED',
  'SUBSCRIPTION_INACTIVE', 'FEATURE_NOT_AVAILABLE', 'DOWNGRADE_EXCEEDS_LIMITS', 'CONFLICT', 'STRIPE_PRICE_NOT_CONFIGURED',
  'NO_ACTIVE_SUBSCRIPTION', 'SUBSCRIPTION_NOT_CANCELLED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'RATE_LIMITED', 'PAYMENT_SYSTEM_NOT_CONFIGURED',
  'PAYMENT_PROVIDER_ERROR', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR',
] as const satisfies readonly ErrorCode[];

/** The one shape of every error answer (CONTRACT §2); the exception filter builds it. */
export class ErrorEnvelopeDto {
  @ApiProperty({ type: 'integer', example: 400, description: 'the HTTP status, repeated' })
  status_code: number;

  @ApiProperty({ enum: ERROR_CODES, enumName: 'ErrorCode', example: 'VALIDATION_FAILED' })
  error_code: ErrorCode;

  @ApiProperty({ example: 'The request is not valid.', description: 'a human sentence' })
  message: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'per code: VALIDATION_FAILED `{ errors: [{ field, messages }] }`; TIER_LIMIT_EXCEEDED `{ limit_type, current, limit, tier_code }`; ' +
      'FEATURE_NOT_AVAILABLE `{ feature, cheapest_tier_code }`; DOWNGRADE_EXCEEDS_LIMITS `{ violations: [{ limit_type, current, limit }] }`; INTERNAL_ERROR `{ error_id }`',
  })
  details?: Record<string, unknown>;
}
