import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import pg from 'pg';
import type { AdvisoryLock } from '../advisory-lock.js';
import { sessionDatabaseUrl } from '../data-source-options.js';

/**
 * Session advisory locks, each held on a connection of their own small pool to DATABASE_DIRECT_URL (else
 * DATABASE_URL) for as long as the work runs. A session lock belongs to the server connection that took it;
 * behind a transaction-mode pooler one client's statements land on whichever server connection is free, so a
 * lock taken through it would be released on another connection (and leak), or re-entered by an unrelated
 * client landing on the same one. The work itself runs on the app's pool, which may be the pooler.
 */
@Injectable()
export class SessionLockService implements OnApplicationShutdown {
  private pool: pg.Pool | undefined;

  constructor(private readonly config: ConfigService) {}

  /** Runs `work` while holding `key`, or answers `'locked'` at once when another session holds it. */
  async tryWithLock<T>(key: AdvisoryLock, work: () => Promise<T>): Promise<T | 'locked'> {
    const client = await this.connections().connect();
    // Ending the connection is what frees the lock when unlocking cannot be trusted (it broke mid-work).
    let broken: Error | undefined;
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
      if (rows[0]?.locked !== true) return 'locked';
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch((error: Error) => (broken ??= error));
      }
    } finally {
      client.off('error', onError);
      client.release(broken ?? false);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private connections(): pg.Pool {
    if (this.pool) return this.pool;
    const url = sessionDatabaseUrl({ DATABASE_URL: this.config.get('DATABASE_URL'), DATABASE_DIRECT_URL: this.config.get('DATABASE_DIRECT_URL') });
    if (!url) throw new Error('DATABASE_URL is not set: the job locks need a database.');
    // One connection per job running at once under a session lock; idle ones close soon.
    this.pool = new pg.Pool({ connectionString: url, max: 5, idleTimeoutMillis: 10_000, application_name: `${process.env.APP_NAME ?? 'vendor-billing'}-locks` });
    // An idle connection that drops (a server restart) must not crash the process; the next lock reconnects.
    this.pool.on('error', () => undefined);
    return this.pool;
  }
}
