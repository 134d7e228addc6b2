import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin console (issue 12):
 * - `admin_audit_log`: every admin action on a vendor, who did it, when, and the state before and after; written
 *   in the transaction of the action itself.
 * - `worker_heartbeats`: one row per worker process, touched every minute, so the console can tell whether a
 *   worker is alive (an upsert: no session state, safe through a transaction-mode pooler).
 * - `capacity_snapshots.active_subscriptions` held the paying ones (active or past_due) while `active_vendors`
 *   counted trials too; the column is renamed so "active" means one thing in every report.
 * - An index on the Stripe customer an event's object names, for the Stripe events of one vendor.
 */
export class AdminConsole1764000010000 implements MigrationInterface {
  name = 'AdminConsole1764000010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_audit_log (
        id            bigserial    PRIMARY KEY,
        admin_user_id integer      NOT NULL,
        vendor_id     integer      NOT NULL,
        action        varchar(32)  NOT NULL,
        before        jsonb        NOT NULL,
        after         jsonb        NOT NULL,
        created_at    timestamptz  NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_admin_audit_log_vendor ON admin_audit_log (vendor_id, created_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE worker_heartbeats (
        worker_id    varchar(128) PRIMARY KEY,
        started_at   timestamptz  NOT NULL,
        last_seen_at timestamptz  NOT NULL,
        schedules    jsonb        NOT NULL DEFAULT '{}'
      )`);
    await q.query(`ALTER TABLE capacity_snapshots RENAME COLUMN active_subscriptions TO paying_subscriptions`);
    // The vendor page lists the Stripe events of the vendor's customer.
    await q.query(`CREATE INDEX ix_stripe_webhook_events_customer ON stripe_webhook_events ((payload -> 'data' -> 'object' ->> 'customer'), received_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_stripe_webhook_events_customer`);
    await q.query(`ALTER TABLE capacity_snapshots RENAME COLUMN paying_subscriptions TO active_subscriptions`);
    await q.query(`DROP TABLE worker_heartbeats`);
    await q.query(`DROP TABLE admin_audit_log`);
  }
}
