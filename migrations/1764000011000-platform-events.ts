import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox of platform events (CONTRACT §9), owned by libs/platform-events.
 *
 * - `platform_events`: one row per event, written in the transaction of the change it reports. `id` (bigserial)
 *   orders a vendor's events; `public_id` is what receivers and admins see. `dedupe_key` (unique when set) makes
 *   "once per threshold per period" and "once per trial end" hold under races: ON CONFLICT DO NOTHING.
 *   Delivery state: `status` pending → delivered | failed, `attempts`, `next_attempt_at` (back-off; '-infinity'
 *   = due now, whatever clock the writer had), `leased_until` (a worker is POSTing it; expires if the worker
 *   dies), `retry_until` (3 days after it was written or redelivered), `last_error`, `delivered_at`.
 * - `platform_event_delivery_stats`: one row of counters the workers add to per batch, so GET /metrics on any
 *   API replica shows deliveries made by every worker replica (the worker has no HTTP of its own).
 *
 * `subscription.updated` is written by a trigger, not by the writers of vendor_subscriptions. Why: the event
 * must follow every change of tier, status or cancel_at_period_end whatever caused it — a billing operation's
 * answer, a webhook, /sync, reconciliation, an admin action or a set-based job that updates thousands of rows in
 * one statement — and must vanish with a rolled-back change. A row-level AFTER UPDATE trigger is in the very
 * transaction of the change, sees OLD and NEW (so `previous` is exact), and cannot be forgotten by the next
 * writer. `UPDATE OF tier_code, status, cancel_at_period_end` plus the WHEN clause keeps it off the hot path:
 * the limit claims update only counters, so PostgreSQL never even calls the function for them.
 */
export class PlatformEvents1764000011000 implements MigrationInterface {
  name = 'PlatformEvents1764000011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE platform_events (
        id bigserial PRIMARY KEY,
        public_id uuid NOT NULL DEFAULT gen_random_uuid(),
        type varchar(64) NOT NULL,
        vendor_id integer NOT NULL,
        data jsonb NOT NULL,
        dedupe_key text,
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
        leased_until timestamptz,
        retry_until timestamptz NOT NULL DEFAULT now() + interval '3 days',
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_platform_events_public_id ON platform_events (public_id)`);
    await q.query(`CREATE UNIQUE INDEX uq_platform_events_dedupe_key ON platform_events (dedupe_key) WHERE dedupe_key IS NOT NULL`);
    // The delivery loop: pending events oldest first, and "is there an earlier pending event of this vendor".
    await q.query(`CREATE INDEX ix_platform_events_pending ON platform_events (id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX ix_platform_events_vendor_pending ON platform_events (vendor_id, id) WHERE status = 'pending'`);
    // The admin list (by vendor, newest first) and the failed count of /metrics.
    await q.query(`CREATE INDEX ix_platform_events_vendor ON platform_events (vendor_id, id DESC)`);
    await q.query(`CREATE INDEX ix_platform_events_failed ON platform_events (id) WHERE status = 'failed'`);

    await q.query(`
      CREATE TABLE platform_event_delivery_stats (
        id integer PRIMARY KEY CHECK (id = 1),
        delivered bigint NOT NULL DEFAULT 0,
        failed_attempts bigint NOT NULL DEFAULT 0,
        given_up bigint NOT NULL DEFAULT 0,
        latency_buckets bigint[] NOT NULL,
        latency_sum_seconds double precision NOT NULL DEFAULT 0
      )`);
    await q.query(`INSERT INTO platform_event_delivery_stats (id, latency_buckets) VALUES (1, array_fill(0::bigint, ARRAY[12]))`);

    // previous holds the old value of each field that changed (as Stripe's previous_attributes does).
    await q.query(`
      CREATE FUNCTION platform_events_subscription_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO platform_events (type, vendor_id, data)
        VALUES ('subscription.updated', NEW.vendor_id, jsonb_build_object(
          'tier_code', NEW.tier_code, 'status', NEW.status, 'cancel_at_period_end', NEW.cancel_at_period_end,
          'previous',
            (CASE WHEN OLD.tier_code IS DISTINCT FROM NEW.tier_code THEN jsonb_build_object('tier_code', OLD.tier_code) ELSE '{}'::jsonb END)
            || (CASE WHEN OLD.status IS DISTINCT FROM NEW.status THEN jsonb_build_object('status', OLD.status) ELSE '{}'::jsonb END)
            || (CASE WHEN OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end
                     THEN jsonb_build_object('cancel_at_period_end', OLD.cancel_at_period_end) ELSE '{}'::jsonb END)));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_vendor_subscriptions_platform_event
      AFTER UPDATE OF tier_code, status, cancel_at_period_end ON vendor_subscriptions
      FOR EACH ROW
      WHEN (OLD.tier_code IS DISTINCT FROM NEW.tier_code OR OLD.status IS DISTINCT FROM NEW.status
            OR OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end)
      EXECUTE FUNCTION platform_events_subscription_updated()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_vendor_subscriptions_platform_event ON vendor_subscriptions`);
    await q.query(`DROP FUNCTION platform_events_subscription_updated()`);
    await q.query(`DROP TABLE platform_event_delivery_stats`);
    await q.query(`DROP TABLE platform_events`);
  }
}
