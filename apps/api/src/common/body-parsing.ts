import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

/** The largest body any route accepts (1 MiB, as Express's `1mb`); a larger one is answered 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

type Done = (error: Error | null, body?: unknown) => void;

const RAW_BODY_ONLY = 'rawBodyOnly';

/**
 * For a route that reads only the raw bytes (Stripe's webhook: the SDK verifies and parses them itself): its JSON
 * is not parsed a second time here. Route config of the HTTP adapter, read by the parser below.
 */
export const RawBodyOnly = () => RouteConfig({ [RAW_BODY_ONLY]: true });

/** A body that is not JSON; the error filter answers it 400 in the envelope by this code. */
function malformed(): Error {
  return Object.assign(new Error('The request body is not valid JSON.'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
}

/**
 * JSON bodies with plain `JSON.parse`, as Express's body parser read them: a `__proto__` key stays an own property
 * (JSON.parse never sets a prototype), which the validation pipe refuses by name. An empty body is read as no body,
 * as a POST without one (cancel, reactivate) is sent by some clients with the JSON content type anyway. Nest keeps
 * the raw bytes beside it (`rawBody`) for Stripe's signature check.
 */
export function jsonBodyParser(): (request: FastifyRequest, body: Buffer, done: Done) => void {
  return (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    if ((request.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[RAW_BODY_ONLY]) return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return done(malformed());
    }
    done(null, parsed);
  };
}
