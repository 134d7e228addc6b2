import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Price versions and price migrations (CONTRACT §11, issue 23), owned by libs/subscription.
 *
 * - `vendor_subscriptions.stripe_price_amount_cents`: what the vendor's plan item costs at Stripe (its price's
 *   `unit_amount`), written with `stripe_price_id` by the one writer from every Stripe answer. Stripe prices are
 *   immutable, so a tier's new price is a new price id and a vendor keeps paying the one it has (grandfathered)
 *   until a migration moves it; this column says what that is without asking Stripe.
 *   Backfill: the rows whose price is still a tier's current price take that price's amount; the others (paying an
 *   older price already) stay NULL until the next event, `/sync` or the hourly reconciliation writes it.
 * - `price_migrations`: one row per admin's migration (tier, interval, the new price and its amount, the notice);
 *   `status` pending → running → completed; `expanded_through` is the worker's cursor over the vendors (vendor id),
 *   so a crash while listing them resumes where the last committed batch ended.
 * - `price_migration_items`: one row per vendor and migration (unique: each vendor once), written in the
 *   transaction of its `subscription.price_changing` event, with the date the vendor was told (`effective_at`).
 *   Then Stripe is told (a subscription schedule): `status` pending → scheduled | failed, `attempts`,
 *   `next_attempt_at`, `leased_until` (a worker is calling Stripe for it; a dead worker's lease expires),
 *   `stripe_schedule_id`, `last_error`, as in the other outboxes.
 *
 * The added column is nullable (no rewrite; running API processes keep working). The backfill runs outside a
 * transaction in batches of 5,000 rows, so no vendor row stays locked for long on a large table; the column is
 * not among those the history and platform-event triggers watch, so the backfill fires neither.
 */
export class PriceMigrations1764000031000 implements MigrationInterface {
  name = 'PriceMigrations1764000031000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions ADD COLUMN IF NOT EXISTS stripe_price_amount_cents integer
      CONSTRAINT ck_vendor_subscriptions_price_amount CHECK (stripe_price_amount_cents >= 0)`);
    for (let from = 0; ; ) {
      const [next] = await q.query(`SELECT max(id) AS upto FROM (SELECT id FROM vendor_subscriptions WHERE id > $1 ORDER BY id LIMIT 5000) AS batch`, [from]);
      if (next.upto === null) break;
      await q.query(
        `UPDATE vendor_subscriptions AS s
            SET stripe_price_amount_cents = CASE s.stripe_price_id WHEN t.stripe_price_monthly_id THEN t.price_monthly_cents WHEN t.stripe_price_annual_id THEN t.price_annual_cents END
           FROM subscription_tiers AS t
          WHERE s.id > $1 AND s.id <= $2 AND t.code = s.tier_code AND s.stripe_price_id IS NOT NULL AND s.stripe_price_amount_cents IS NULL
            AND s.stripe_price_id IN (t.stripe_price_monthly_id, t.stripe_price_annual_id)`,
        [from, next.upto],
      );
      from = next.upto;
    }
    await q.query(`
      CREATE TABLE IF NOT EXISTS price_migrations (
        id serial PRIMARY KEY,
        tier_code varchar(32) NOT NULL,
        is_annual boolean NOT NULL,
        new_price_id varchar(255) NOT NULL,
        new_amount_cents integer NOT NULL CHECK (new_amount_cents >= 0),
        currency varchar(3) NOT NULL,
        notice_days integer NOT NULL CHECK (notice_days BETWEEN 0 AND 365),
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed')),
        expanded_through integer NOT NULL DEFAULT 0,
        expanded boolean NOT NULL DEFAULT false,
        created_by integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    // One migration of a tier and interval at a time: a second (a double click, a second admin) would tell every
    // vendor twice; it is refused (409) until the first has completed.
    await q.query(`CREATE UNIQUE INDEX IF NOT EXISTS uq_price_migrations_open ON price_migrations (tier_code, is_annual) WHERE status <> 'completed'`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS price_migration_items (
        id bigserial PRIMARY KEY,
        migration_id integer NOT NULL REFERENCES price_migrations(id) ON DELETE CASCADE,
        vendor_id integer NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        stripe_subscription_id varchar(255) NOT NULL,
        old_price_id varchar(255),
        old_amount_cents integer,
        effective_at timestamptz NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'scheduled', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
        leased_until timestamptz,
        stripe_schedule_id varchar(255),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        scheduled_at timestamptz,
        CONSTRAINT uq_price_migration_items_vendor UNIQUE (migration_id, vendor_id)
      )`);
    // The worker's claim: pending items, oldest first. The vendor's view: its latest scheduled change.
    await q.query(`CREATE INDEX IF NOT EXISTS ix_price_migration_items_pending ON price_migration_items (id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX IF NOT EXISTS ix_price_migration_items_vendor ON price_migration_items (vendor_id, migration_id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS price_migration_items`);
    await q.query(`DROP TABLE IF EXISTS price_migrations`);
    await q.query(`ALTER TABLE vendor_subscriptions DROP COLUMN IF EXISTS stripe_price_amount_cents`);
  }
}
