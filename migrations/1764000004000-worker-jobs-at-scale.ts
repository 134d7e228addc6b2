import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the worker's jobs need at a million subscriptions (measured by `npm run bench:jobs`).
 *
 * - vendor_subscriptions keeps 30 % of each page free, so an UPDATE that touches no indexed column is a HOT
 *   update: one heap write, no index entries. That serves the jobs and every limit claim (counter updates).
 * - The two job indexes on (status, period_end) and (trial_ends_at WHERE status = 'trial') go: each job changes
 *   exactly those columns, so with them every updated row also wrote six index entries (about seven WAL records
 *   per row instead of one, 22 s instead of 5 s for 333k trials). The jobs read by one sequential scan instead.
 * - `subscription_periods_elapsed` counts the whole billing periods between a period start and now, so
 *   reset-period-counters moves a subscription several periods behind onto the current one in one statement.
 * - A tiny partial index finds deactivated vendors for the capacity snapshot, and job_runs gets the index the
 *   health report's "last run of each job" reads.
 */
export class WorkerJobsAtScale1764000004000 implements MigrationInterface {
  name = 'WorkerJobsAtScale1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions SET (fillfactor = 70)`);
    await q.query(`DROP INDEX IF EXISTS ix_vendor_subscriptions_status_period_end`);
    await q.query(`DROP INDEX IF EXISTS ix_vendor_subscriptions_trial_ends`);
    await q.query(`CREATE INDEX ix_vendors_inactive ON vendors (id) WHERE NOT is_active`);
    await q.query(`CREATE INDEX ix_job_runs_name_started ON job_runs (name, started_at DESC, id DESC)`);
    // Wall-clock (UTC) timestamps: month arithmetic independent of the session's time zone. Anchored on the
    // period start, so 31 Jan renews on 28 Feb, then 31 Mar. At least one period (the caller selects ended ones).
    await q.query(`
      CREATE FUNCTION subscription_periods_elapsed(start_at timestamp, now_at timestamp, months_per_period integer)
      RETURNS integer LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        k integer := greatest(1, floor((extract(year from age(now_at, start_at)) * 12 + extract(month from age(now_at, start_at))) / months_per_period)::integer);
      BEGIN
        -- age() counts months by calendar day; a start clamped at a month's end can be one period short.
        IF start_at + make_interval(months => (k + 1) * months_per_period) <= now_at THEN
          k := k + 1;
        END IF;
        RETURN k;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION subscription_periods_elapsed(timestamp, timestamp, integer)`);
    await q.query(`DROP INDEX ix_job_runs_name_started`);
    await q.query(`DROP INDEX ix_vendors_inactive`);
    await q.query(`CREATE INDEX ix_vendor_subscriptions_trial_ends ON vendor_subscriptions (trial_ends_at) WHERE status = 'trial'`);
    await q.query(`CREATE INDEX ix_vendor_subscriptions_status_period_end ON vendor_subscriptions (status, period_end)`);
    await q.query(`ALTER TABLE vendor_subscriptions RESET (fillfactor)`);
  }
}
