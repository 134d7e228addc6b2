/**
 * Whether an error means the database could not be reached or dropped the connection (refused, timed out,
 * terminated, shutting down, too many clients), as opposed to a query it refused. Such a request changed
 * nothing: its transaction never committed. The API answers it 503 SERVICE_UNAVAILABLE, so clients and load
 * balancers retry.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** PostgreSQL SQLSTATEs: class 08 (connection exception), shutdowns, too many connections. */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** pg and pg-pool say these in words only. */
const MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated due to connection timeout)/;

export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift() as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown } | null;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const code = typeof e.code === 'string' ? e.code : '';
    if (NETWORK_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08')) return true;
    if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
    queue.push(e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  return false;
}
