/**
 * The error codes of CONTRACT §2. Libraries throw a `DomainError` carrying one of them; the API's
 * exception filter alone decides the HTTP status and the envelope.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'TIER_NOT_FOUND'
  | 'TIER_LIMIT_EXCEEDED'
  | 'SUBSCRIPTION_INACTIVE'
  | 'FEATURE_NOT_AVAILABLE'
  | 'DOWNGRADE_EXCEEDS_LIMITS'
  | 'CONFLICT'
  | 'STRIPE_PRICE_NOT_CONFIGURED'
  | 'NO_ACTIVE_SUBSCRIPTION'
  | 'SUBSCRIPTION_NOT_CANCELLED'
  | 'PAYMENT_SYSTEM_NOT_CONFIGURED'
  | 'PAYMENT_PROVIDER_ERROR'
  | 'BAD_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/** Codes that mean the system failed, not the caller: their errors keep a stack trace for the log. */
const SYSTEM_FAULTS: ReadonlySet<ErrorCode> = new Set(['PAYMENT_PROVIDER_ERROR', 'SERVICE_UNAVAILABLE', 'INTERNAL_ERROR']);

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    // The caller's mistake or a refusal (a 4xx) is an answer, not a fault, and nobody reads its stack: capturing one
    // through the async frames of a request costs tens of microseconds, on paths as hot as a limit's refusal.
    const stackTraceLimit = Error.stackTraceLimit;
    if (!SYSTEM_FAULTS.has(code)) Error.stackTraceLimit = 0;
    super(message); // Error's own constructor: it does not throw
    Error.stackTraceLimit = stackTraceLimit;
    this.name = new.target.name;
  }
}

export interface FieldError {
  field: string;
  messages: string[];
}

export class ValidationFailedError extends DomainError {
  constructor(errors: FieldError[], message = 'The request is not valid.') {
    super('VALIDATION_FAILED', message, { errors });
  }

  static forField(field: string, message: string): ValidationFailedError {
    return new ValidationFailedError([{ field, messages: [message] }], message);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found.`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, details);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'Authentication is required.') {
    super('UNAUTHORIZED', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this.') {
    super('FORBIDDEN', message);
  }
}

/** PostgreSQL's unique_violation, for turning a lost race on a unique key into a CONFLICT. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.code ?? e?.driverError?.code;
  const name = e?.constraint ?? e?.driverError?.constraint;
  return code === '23505' && (constraint === undefined || name === constraint);
}
