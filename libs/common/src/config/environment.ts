import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isStandardWebhookSecret } from './standard-webhook-secret.js';

const toBoolean = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : value === true || value === 'true' || value === '1' ? true : value === false || value === 'false' || value === '0' ? false : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);
const CRON = /^(\S+\s+){4,5}\S+$/;

/** Every variable the processes read (CONTRACT §1), validated once at start-up. */
export class EnvironmentVariables {
  @IsOptional() @IsIn(['development', 'production', 'test'])
  NODE_ENV: string = 'development';

  @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  PORT: number = 3000;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  /**
   * The PostgreSQL server itself, for what needs a session (migrations' and the worker's advisory locks) when
   * DATABASE_URL is a transaction-mode pooler. Without DATABASE_URL the embedded database is used, and a direct
   * URL to another server would split the locks from the data: refused.
   */
  @Transform(emptyToUndefined) @IsOptional() @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_DIRECT_URL must be a postgres:// URL' })
  @ValidateBy({
    name: 'needsDatabaseUrl',
    validator: {
      validate: (_value: unknown, args) => (args?.object as EnvironmentVariables).DATABASE_URL !== undefined,
      defaultMessage: () => 'DATABASE_DIRECT_URL is set without DATABASE_URL (the server behind the pooler DATABASE_URL names)',
    },
  })
  DATABASE_DIRECT_URL?: string;

  @Transform(emptyToUndefined) @ValidateIf((env: EnvironmentVariables) => env.NODE_ENV === 'production' || env.JWT_SECRET !== undefined)
  @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters (required when NODE_ENV=production)' })
  JWT_SECRET?: string;

  @Type(() => Number) @IsInt() @Min(60) @Max(86_400)
  JWT_EXPIRES_IN_SECONDS: number = 3600;

  @Transform(emptyToUndefined) @IsOptional() @IsEmail()
  ADMIN_EMAIL?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(8)
  ADMIN_PASSWORD?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  APP_BASE_URL?: string;

  /** Where Enterprise (custom-priced tiers) sends a vendor: a `mailto:` address or an http(s) page. */
  @Transform(emptyToUndefined) @IsOptional()
  @Matches(/^(mailto:[^\s@<>"]+@[^\s@<>"]+|https?:\/\/[^\s<>"]+)$/, { message: 'SALES_CONTACT_URL must be a mailto: address or an http(s) URL' })
  SALES_CONTACT_URL: string = 'mailto:sales@example.com';

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^(sk|rk)_\S+$/, { message: 'STRIPE_SECRET_KEY must start with sk_ or rk_' })
  STRIPE_SECRET_KEY?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^pk_\S+$/, { message: 'STRIPE_PUBLISHABLE_KEY must start with pk_' })
  STRIPE_PUBLISHABLE_KEY?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(/^whsec_\S+$/, { message: 'STRIPE_WEBHOOK_SECRET must start with whsec_' })
  STRIPE_WEBHOOK_SECRET?: string;

  @Type(() => Number) @IsInt() @Min(0) @Max(730)
  STRIPE_TRIAL_DAYS: number = 30;

  @Transform(toBoolean) @IsBoolean()
  STRIPE_AUTOMATIC_TAX: boolean = false;

  @Type(() => Number) @IsInt() @Min(0) @Max(365)
  PAST_DUE_GRACE_DAYS: number = 14;

  @Transform(emptyToUndefined) @IsOptional() @IsString()
  STRIPE_API_HOST?: string;

  @Transform(emptyToUndefined) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  STRIPE_API_PORT?: number;

  @Transform(emptyToUndefined) @IsOptional() @IsIn(['http', 'https'])
  STRIPE_API_PROTOCOL?: 'http' | 'https';

  @Type(() => Number) @IsInt() @Min(100) @Max(120_000)
  STRIPE_TIMEOUT_MS: number = 20_000;

  /** How often the SDK retries a network error, a timeout, 409 or 5xx (each attempt up to STRIPE_TIMEOUT_MS). */
  @Type(() => Number) @IsInt() @Min(0) @Max(5)
  STRIPE_MAX_NETWORK_RETRIES: number = 2;

  /**
   * How long a vendor's billing operation holds the vendor's turn without renewing it: its process renews it every
   * BILLING_TURN_RENEW_MS while it runs, so only a process that died loses it, this long after its last renewal.
   */
  @Type(() => Number) @IsInt() @Min(300) @Max(600_000)
  BILLING_TURN_LEASE_MS: number = 15_000;

  /** How often the running operation renews its lease (default: a third of it); at most a third, so one late renewal costs nothing. */
  @Transform(emptyToUndefined) @IsOptional() @Type(() => Number) @IsInt() @Min(50) @Max(200_000)
  @ValidateBy({
    name: 'renewsWithinLease',
    validator: {
      validate: (value: unknown, args) => typeof value === 'number' && value * 3 <= (args?.object as EnvironmentVariables).BILLING_TURN_LEASE_MS,
      defaultMessage: () => 'BILLING_TURN_RENEW_MS must be at most a third of BILLING_TURN_LEASE_MS',
    },
  })
  BILLING_TURN_RENEW_MS?: number;

  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  STRIPE_MAX_REQUESTS_PER_SECOND: number = 20;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  @Type(() => Number) @IsInt() @Min(1) @Max(100_000)
  AUTH_RATE_LIMIT_PER_MINUTE: number = 20;

  @Transform(emptyToUndefined) @IsOptional() @Matches(CRON)
  CRON_RESET_PERIOD_COUNTERS?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(CRON)
  CRON_CHECK_TRIAL_EXPIRATIONS?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(CRON)
  CRON_SYNC_STRIPE_STATUS?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(CRON)
  CRON_CLEANUP_STALE_SUBSCRIPTIONS?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(CRON)
  CRON_CAPTURE_CAPACITY_SNAPSHOT?: string;

  @Transform(emptyToUndefined) @IsOptional() @Matches(CRON)
  CRON_RECORD_TRIAL_ENDINGS?: string;

  /** Where the platform's own services receive this system's events (CONTRACT §9); unset: events are kept, not sent. */
  @Transform(emptyToUndefined) @IsOptional() @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'PLATFORM_WEBHOOK_URL must be an http(s):// URL' })
  PLATFORM_WEBHOOK_URL?: string;

  /** Signs every platform event (Standard Webhooks); required with PLATFORM_WEBHOOK_URL (an unsigned event could be forged). */
  @Transform(emptyToUndefined) @ValidateIf((env: EnvironmentVariables) => env.PLATFORM_WEBHOOK_URL !== undefined || env.PLATFORM_WEBHOOK_SECRET !== undefined)
  @ValidateBy({
    name: 'standardWebhookSecret',
    validator: {
      validate: isStandardWebhookSecret,
      defaultMessage: () => 'PLATFORM_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 or more random bytes (required when PLATFORM_WEBHOOK_URL is set); make one with `npm run platform:secret`',
    },
  })
  PLATFORM_WEBHOOK_SECRET?: string;

  /** Per delivery attempt: a receiver slower than this counts as a failed attempt. */
  @Type(() => Number) @IsInt() @Min(100) @Max(120_000)
  PLATFORM_WEBHOOK_TIMEOUT_MS: number = 10_000;

  /** How long the delivery loop waits when it found nothing due (it goes again at once when it found work). */
  @Type(() => Number) @IsInt() @Min(10) @Max(60_000)
  PLATFORM_EVENTS_POLL_MS: number = 500;

  /** At most this many events (one per vendor) per delivery round. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  PLATFORM_EVENTS_BATCH_SIZE: number = 100;

  /** The overage meter events' send loop (CONTRACT §12): its idle wait, and how many rows one round claims. */
  @Type(() => Number) @IsInt() @Min(10) @Max(60_000)
  METER_EVENTS_POLL_MS: number = 1000;

  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  METER_EVENTS_BATCH_SIZE: number = 50;

  /**
   * Price migrations (CONTRACT §11): the worker loop's idle wait, its pace of Stripe requests (default
   * STRIPE_MAX_REQUESTS_PER_SECOND), how many vendors it schedules at once and per claim, and per listing batch.
   */
  @Type(() => Number) @IsInt() @Min(10) @Max(60_000)
  PRICE_MIGRATION_POLL_MS: number = 1000;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  PRICE_MIGRATION_REQUESTS_PER_SECOND?: number;

  @Type(() => Number) @IsInt() @Min(1) @Max(32)
  PRICE_MIGRATION_CONCURRENCY: number = 16;

  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  PRICE_MIGRATION_BATCH_SIZE: number = 100;

  @Type(() => Number) @IsInt() @Min(1) @Max(10_000)
  PRICE_MIGRATION_EXPAND_BATCH_SIZE: number = 500;

  /**
   * Which proxies' X-Forwarded-For the API believes (Fastify's `trustProxy`, the syntax of Express's `trust proxy`): the per-IP login limit keys on
   * the client address it yields. Loopback only by default; name your load balancer's network to widen it.
   */
  @IsString()
  TRUST_PROXY: string = 'loopback';

  /** When set, `GET /metrics` needs `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time). */
  @Transform(emptyToUndefined) @IsOptional() @IsString()
  @Matches(/^\S{16,}$/, { message: 'METRICS_TOKEN must be at least 16 characters without spaces' })
  METRICS_TOKEN?: string;

  /**
   * The API's database waits (DESIGN.md "Connections and waits"): one statement, and one lock wait (row or advisory
   * lock), in milliseconds; a request past either answers 503 SERVICE_UNAVAILABLE with nothing changed.
   */
  @Type(() => Number) @IsInt() @Min(100) @Max(600_000)
  DATABASE_STATEMENT_TIMEOUT_MS: number = 5000;

  @Type(() => Number) @IsInt() @Min(100) @Max(600_000)
  DATABASE_LOCK_TIMEOUT_MS: number = 3000;

  /** The worker's jobs work set-based over all due rows: their own, longer limits. */
  @Type(() => Number) @IsInt() @Min(1000) @Max(86_400_000)
  WORKER_STATEMENT_TIMEOUT_MS: number = 600_000;

  @Type(() => Number) @IsInt() @Min(100) @Max(86_400_000)
  WORKER_LOCK_TIMEOUT_MS: number = 60_000;

  /** A transaction idle this long (API and worker) is ended by the server, which frees its locks. */
  @Type(() => Number) @IsInt() @Min(1000) @Max(86_400_000)
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: number = 30_000;

  /** Where the embedded database and generated secrets live. */
  @IsString()
  DATA_DIR: string = '.data';
}

export class EnvironmentError extends Error {}

/**
 * `ConfigModule.forRoot({ validate })`: the whole environment at once, with one line per bad variable naming it.
 * Outside production a missing JWT_SECRET is generated once and kept in DATA_DIR, so tokens survive restarts.
 */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  const env = plainToInstance(EnvironmentVariables, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new EnvironmentError(`Invalid environment:\n${lines.join('\n')}`);
  }
  if (!env.JWT_SECRET) env.JWT_SECRET = generatedSecret(env.DATA_DIR, 'jwt-secret');
  return env;
}

/**
 * For a process's entry point, before anything imports the app module (which validates again): a bad
 * environment prints one clear message naming each variable and exits 1, without a stack trace.
 */
export function exitOnInvalidEnvironment(): void {
  try {
    validateEnvironment(process.env);
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

function generatedSecret(dataDir: string, name: string): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
