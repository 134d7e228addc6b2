import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders past the limit billed as overage (CONTRACT §12, issue 24).
 *
 * - `subscription_tiers.orders_overage_price_cents`: the price of one order past `orders_per_month` (NULL, the
 *   default: the limit is hard, exactly as before). `stripe_overage_price_id`: the tier's metered Stripe price on
 *   the overage meter (stripe:sync-catalog).
 * - `vendor_subscriptions`: the vendor's cap on a period's overage, as `overage_cap_mode` — `default` (the tier's
 *   monthly price; nothing stored), `custom` (`overage_cap_cents`) or `none` (`PATCH { cap_cents: null }` removed
 *   it) — because "never set" and "removed" are different wishes a single nullable column cannot tell apart.
 *   `overage_orders` / `overage_amount_cents` count the current period's overage; they belong to the period
 *   `overage_period_start` and read as zero once `period_start` has moved past it, so no writer that moves a
 *   period (the reset job, a webhook, /sync, an admin) has to know about them.
 * - `orders.overage`: this order was accepted past the limit.
 * - `stripe_meter_events`: the outbox of meter events, one per overage order, written in the statement that
 *   accepts the order; `identifier` (unique, derived from the order) is what Stripe dedupes a re-send by.
 *   Delivery state as in platform_events: `status` pending → sent | failed, `attempts`, `next_attempt_at`,
 *   `leased_until` (a worker is sending it; expires if the worker dies), `last_error`, `stripe_response`.
 *
 * Every added column is nullable or has a constant default: no table rewrite, and running API processes, which
 * name their columns, keep working before and after it (CONTRACT §5 "Deploys").
 */
export class OrderOverage1764000028000 implements MigrationInterface {
  name = 'OrderOverage1764000028000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE subscription_tiers
      ADD COLUMN orders_overage_price_cents integer CONSTRAINT ck_subscription_tiers_overage_price CHECK (orders_overage_price_cents >= 0),
      ADD COLUMN stripe_overage_price_id varchar(255)`);
    await q.query(`ALTER TABLE vendor_subscriptions
      ADD COLUMN overage_cap_mode varchar(8) NOT NULL DEFAULT 'default'
        CONSTRAINT ck_vendor_subscriptions_overage_cap_mode CHECK (overage_cap_mode IN ('default', 'custom', 'none')),
      ADD COLUMN overage_cap_cents bigint CONSTRAINT ck_vendor_subscriptions_overage_cap_cents CHECK (overage_cap_cents >= 0),
      ADD COLUMN overage_orders integer NOT NULL DEFAULT 0 CONSTRAINT ck_vendor_subscriptions_overage_orders CHECK (overage_orders >= 0),
      ADD COLUMN overage_amount_cents bigint NOT NULL DEFAULT 0 CONSTRAINT ck_vendor_subscriptions_overage_amount CHECK (overage_amount_cents >= 0),
      ADD COLUMN overage_period_start timestamptz,
      ADD CONSTRAINT ck_vendor_subscriptions_overage_cap CHECK ((overage_cap_mode = 'custom') = (overage_cap_cents IS NOT NULL))`);
    await q.query(`ALTER TABLE orders ADD COLUMN overage boolean NOT NULL DEFAULT false`);
    await q.query(`
      CREATE TABLE stripe_meter_events (
        id bigserial PRIMARY KEY,
        order_id integer NOT NULL CONSTRAINT uq_stripe_meter_events_order UNIQUE REFERENCES orders(id) ON DELETE CASCADE,
        vendor_id integer NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        identifier varchar(100) NOT NULL CONSTRAINT uq_stripe_meter_events_identifier UNIQUE,
        value integer NOT NULL DEFAULT 1 CHECK (value > 0),
        amount_cents integer NOT NULL CHECK (amount_cents >= 0),
        occurred_at timestamptz NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
        leased_until timestamptz,
        last_error text,
        stripe_response jsonb,
        sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The sender's claim: pending rows oldest first. The admin vendor page: a vendor's rows.
    await q.query(`CREATE INDEX ix_stripe_meter_events_pending ON stripe_meter_events (id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX ix_stripe_meter_events_vendor ON stripe_meter_events (vendor_id, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS stripe_meter_events`);
    await q.query(`ALTER TABLE orders DROP COLUMN IF EXISTS overage`);
    await q.query(`ALTER TABLE vendor_subscriptions DROP CONSTRAINT IF EXISTS ck_vendor_subscriptions_overage_cap,
      DROP COLUMN IF EXISTS overage_cap_mode, DROP COLUMN IF EXISTS overage_cap_cents, DROP COLUMN IF EXISTS overage_orders,
      DROP COLUMN IF EXISTS overage_amount_cents, DROP COLUMN IF EXISTS overage_period_start`);
    await q.query(`ALTER TABLE subscription_tiers DROP COLUMN IF EXISTS orders_overage_price_cents, DROP COLUMN IF EXISTS stripe_overage_price_id`);
  }
}
