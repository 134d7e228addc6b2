import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface RateLimitVerdict {
  allowed: boolean;
  /** Attempts in the current window, this one included. */
  hits: number;
  /** Seconds until the window ends (the `Retry-After` of a refusal). */
  retryAfterSeconds: number;
}

const WINDOW_SECONDS = 60;
const CLEANUP_EVERY_MS = 60_000;

/**
 * The login/signup attempt counters (owner of `auth_rate_limits`). Each attempt is one atomic upsert: a key's
 * window starts at its first attempt and lasts a minute; an attempt after that starts a new window at 1. The
 * database's clock decides, so replicas on different hosts agree and a restarted process remembers. Expired
 * rows are deleted at most once a minute per process, after the answer, never in its way.
 */
@Injectable()
export class AuthRateLimiter {
  private readonly logger = new Logger(AuthRateLimiter.name);
  private lastCleanup = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async hit(key: string, limit: number): Promise<RateLimitVerdict> {
    const [row] = (await this.dataSource.query(
      `INSERT INTO auth_rate_limits AS r (key, window_start, hits) VALUES ($1, now(), 1)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN r.window_start > now() - make_interval(secs => $2) THEN r.hits + 1 ELSE 1 END,
         window_start = CASE WHEN r.window_start > now() - make_interval(secs => $2) THEN r.window_start ELSE now() END
       RETURNING hits, greatest(1, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now())))::int AS retry_after`,
      [key.slice(0, 64), WINDOW_SECONDS],
    )) as { hits: number; retry_after: number }[];
    this.cleanUpNowAndThen();
    return { allowed: row.hits <= limit, hits: row.hits, retryAfterSeconds: row.retry_after };
  }

  private cleanUpNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastCleanup < CLEANUP_EVERY_MS) return;
    this.lastCleanup = now;
    this.dataSource
      .query(`DELETE FROM auth_rate_limits WHERE window_start < now() - make_interval(secs => $1)`, [WINDOW_SECONDS])
      .catch((err: unknown) => this.logger.warn({ err }, 'auth_rate_limits cleanup failed; retried in a minute'));
  }
}
