import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';

const SANE_REQUEST_ID = /^[\w.-]{1,128}$/;

/** Fastify's `genReqId`: the caller's `X-Request-Id` when it is sane, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Probes and scrapes, which would drown the log. */
function isQuiet(url: string): boolean {
  return url.startsWith('/health') || url === '/metrics';
}

/**
 * One JSON line per request with its id (echoed back in `X-Request-Id`), written when the response has gone. Bodies
 * and query strings are never logged, so passwords and tokens cannot leak. Two plain hooks instead of a per-request
 * child logger: when the level is above `info` the hot path pays for one header and one level check.
 */
export function registerRequestLogging(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  if (!logger.isLevelEnabled('info')) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    const query = request.url.indexOf('?');
    const url = query === -1 ? request.url : request.url.slice(0, query);
    if (!isQuiet(url)) {
      const status = reply.statusCode;
      const entry = { req: { id: request.id, method: request.method, url }, res: { status }, responseTime: Math.round(reply.elapsedTime) };
      // 502/503 are expected answers (Stripe down or not configured, the database unreachable): a warning, not an error.
      if (status === 502 || status === 503) logger.warn(entry, 'request answered unavailable');
      else if (status >= 500) logger.error(entry, 'request errored');
      else logger.info(entry, 'request completed');
    }
    done();
  });
}
