export * from './api-errors.decorator.js';
export * from './error-envelope.dto.js';
export * from './idempotency-key.decorator.js';
