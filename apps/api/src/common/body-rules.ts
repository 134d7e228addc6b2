import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorEnvelope } from './api-exception.filter.js';

/**
 * How much of a refused body (too large, or one the API will not read) is still read and thrown away before the
 * answer goes out, and for how long. A client that sends its whole body before reading (most do: Node's fetch,
 * Python's requests, curl without `Expect: 100-continue`) then reads the 413/415 instead of finding the connection
 * reset under its write (EPIPE/ECONNRESET), the lingering close of Node's and nginx's servers. Past either bound
 * the answer goes out at once and the connection closes: a bigger body is not worth reading.
 */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
export const DRAIN_MAX_MS = 10_000;

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/**
 * The body's representation the API cannot read, as RFC 9110 says to answer it (415): a content coding other than
 * `identity` (nothing is decompressed: a coded body would only be an unreadable one, or a bomb), or a charset other
 * than UTF-8 (JSON between systems is UTF-8, RFC 8259; another would be read as garbage). Decided from the headers,
 * before a byte of the body is read.
 */
export function unreadableBody(headers: IncomingHttpHeaders): string | undefined {
  if (!hasBody(headers)) return undefined;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined) {
    const codings = String(encoding).split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
    if (codings.some((c) => c !== 'identity')) return 'The request body is compressed or encoded (Content-Encoding); send it as plain UTF-8 JSON.';
  }
  const charset = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(headers['content-type'] ?? '')?.[2].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return 'The request body must be UTF-8 JSON (charset=utf-8, or no charset).';
  return undefined;
}

export function unsupportedMediaTypeEnvelope(message: string): ErrorEnvelope {
  return { status_code: 415, error_code: 'UNSUPPORTED_MEDIA_TYPE', message };
}

/** Reads and discards what is left of the request's body, within the bounds; `then` runs once either way. */
function drain(request: FastifyRequest, then: () => void): void {
  const raw = request.raw;
  let done = false;
  let discarded = 0;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    raw.off('data', onData);
    raw.off('end', finish);
    raw.off('error', finish);
    raw.off('close', finish);
    then();
  };
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DRAIN_MAX_BYTES) finish();
  };
  const timer = setTimeout(finish, DRAIN_MAX_MS);
  raw.on('data', onData);
  raw.once('end', finish);
  raw.once('error', finish);
  raw.once('close', finish);
  raw.resume();
}

/**
 * The body rules on the Fastify instance (every route: vendor routes, signup, Stripe's webhook, whose raw body
 * would fail its signature check rather than be decoded): 415 for a body it cannot read, and any answer given
 * while the request's body is still arriving (413, 415, a malformed body) waits until the rest has been read and
 * thrown away, within DRAIN_MAX_BYTES and DRAIN_MAX_MS.
 */
export function registerBodyRules(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const unreadable = unreadableBody(request.headers);
    if (!unreadable) return done();
    const body = unsupportedMediaTypeEnvelope(unreadable);
    void reply.code(body.status_code).header('content-type', 'application/json; charset=utf-8').send(body);
  });
  fastify.addHook('onSend', (request, _reply, payload, done) => {
    if (request.raw.complete || request.raw.destroyed) return done(null, payload);
    drain(request, () => done(null, payload));
  });
}
