import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';

/**
 * The optional `Idempotency-Key` request header. A custom parameter decorator rather than `@Headers('…')`, which
 * the OpenAPI generator would declare a second time as a required lowercase header; pair it with
 * `@ApiIdempotencyKey()` on the route, the one declaration.
 */
export const IdempotencyKey = createParamDecorator((_: unknown, ctx: ExecutionContext): string | undefined => {
  const value = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers['idempotency-key'];
  return Array.isArray(value) ? value[0] : value;
});

export const ApiIdempotencyKey = (description = 'optional: a retried request with the same key gets the same answer (the same Checkout session)') =>
  applyDecorators(ApiHeader({ name: 'Idempotency-Key', required: false, description, schema: { type: 'string', maxLength: 255 } }));
