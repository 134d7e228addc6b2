import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The login/signup limit's counters, in the database every API replica shares (CONTRACT §2 `RATE_LIMITED`): one
 * row per client key with the start of its current one-minute window and the attempts in it. A replica counts an
 * attempt with one upsert, so N replicas enforce one limit and a restart forgets nothing. Rows of windows long
 * over are deleted now and then; the index on `window_start` keeps that delete cheap.
 */
export class AuthRateLimits1764000009000 implements MigrationInterface {
  name = 'AuthRateLimits1764000009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE auth_rate_limits (
        key           varchar(64) PRIMARY KEY,
        window_start  timestamptz NOT NULL,
        hits          integer     NOT NULL CHECK (hits > 0)
      )`);
    await q.query(`CREATE INDEX ix_auth_rate_limits_window_start ON auth_rate_limits (window_start)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE auth_rate_limits`);
  }
}
