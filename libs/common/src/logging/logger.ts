import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';
import { redactUrlSecrets } from './url-secrets.js';

/** Paths pino blanks out wherever they appear: credentials never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.access_token',
  '*.secret',
  '*.api_key',
];

/**
 * Fields of an error that may carry what a request sent (e-mails, names, hashes): a TypeORM QueryFailedError's
 * `parameters`, PostgreSQL's `detail` ("Key (email)=(…) already exists", "Failing row contains (…)"), bodies.
 */
const ERROR_FIELDS_DROPPED = new Set(['parameters', 'detail', 'body', 'rawBody', 'requestBody', 'payload']);

/**
 * pino's error serializer, then without the fields above (in the error, its driverError and its causes), and with
 * the quoted input blanked out of PostgreSQL data-exception messages (`invalid input syntax for type integer: "…"`).
 * The SQL text, code, constraint, table and stack stay: enough to find the fault, nothing of the person. A URL's
 * credentials and query string are taken out of every text field (an outbound call's error may quote its URL).
 */
export function serializeErrorSafely(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  return scrubError(serialized, 0);
}

function scrubError(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  const source = value as Record<string, unknown>;
  const dataException = typeof source.code === 'string' && source.code.startsWith('22');
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(source)) {
    if (ERROR_FIELDS_DROPPED.has(key)) continue;
    if (dataException && (key === 'message' || key === 'stack') && typeof field === 'string') out[key] = field.replace(/"[^"\n]*"/g, '"[redacted]"');
    else if (key === 'driverError' || key === 'cause' || key === 'errors') out[key] = Array.isArray(field) ? field.map((f) => scrubError(f, depth + 1)) : scrubError(field, depth + 1);
    else out[key] = typeof field === 'string' ? redactUrlSecrets(field) : field;
  }
  if (!dataException && typeof (source.driverError as { code?: unknown } | undefined)?.code === 'string' && String((source.driverError as { code: string }).code).startsWith('22')) {
    for (const key of ['message', 'stack']) if (typeof out[key] === 'string') out[key] = (out[key] as string).replace(/"[^"\n]*"/g, '"[redacted]"');
  }
  return out;
}

/** One JSON-lines logger per process (API and worker alike). */
export function createRootLogger(level = process.env.LOG_LEVEL ?? 'info', name?: string): Logger {
  return pino({
    level,
    name,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: serializeErrorSafely, error: serializeErrorSafely },
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** Nest's start-up chatter (each module, each route: ~60 lines per process) goes to debug; info keeps what matters. */
const STARTUP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/** Nest's logger interface on top of pino: `new Logger(Ctx).log(...)` anywhere ends up as one JSON line. */
export class PinoNestLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]) {
    // Nest passes the context last; error() passes a stack string before it.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (level === 'info' && context && STARTUP_CONTEXTS.has(context)) level = 'debug';
    // A line below LOG_LEVEL costs nothing more: no fields copied for pino to drop (hot paths log per request).
    if (!this.pino.isLevelEnabled(level)) return;
    const stack = level === 'error' && typeof rest[0] === 'string' ? (rest.shift() as string) : undefined;
    const fields: Record<string, unknown> = { context };
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      this.pino[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...obj } = message as Record<string, unknown>;
      this.pino[level]({ ...fields, ...obj }, typeof msg === 'string' ? msg : undefined);
    } else {
      this.pino[level](fields, String(message));
    }
  }
}
