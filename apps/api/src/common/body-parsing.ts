import type { FastifyInstance } from 'fastify';

/** The largest body any route accepts (1 MiB, as Express's `1mb`); a larger one is answered 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

type Done = (error: Error | null, body?: unknown) => void;

/**
 * JSON bodies through Fastify's own parser (prototype-poisoning checks included), made once rather than per request,
 * with an empty body read as no body, as a POST without one (cancel, reactivate) is sent by some clients with the
 * JSON content type anyway. Nest keeps the raw bytes beside it (`rawBody`) for Stripe's signature check.
 */
export function jsonBodyParser(fastify: FastifyInstance): (request: unknown, body: Buffer, done: Done) => void {
  const parse = fastify.getDefaultJsonParser('error', 'error') as unknown as (request: unknown, body: Buffer, done: Done) => void;
  return (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    parse(request, body, done);
  };
}
