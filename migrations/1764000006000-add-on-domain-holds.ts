import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Domains held from Checkout, and paid add-ons that could not be granted.
 *
 * - `pending`: a domain add-on whose Checkout is open. The row holds the domain for its vendor until
 *   `hold_expires_at` (the Checkout session's own `expires_at`), so the unique index on a domain now covers
 *   `pending` as well as `active`: two vendors can never both be sent to Checkout for one domain.
 * - `needs_attention`: Stripe took the money but the add-on cannot be granted (its domain is held by another vendor,
 *   its code names no add-on); `attention_reason` says why. It holds no domain, so it can always be recorded.
 *   `add_on_product_id` may be null only here (the Checkout named a code we do not know; `addon_code` keeps it).
 * - `stripe_webhook_events.status` gains `needs_attention`: the event that found such a purchase, for admins.
 */
export class AddOnDomainHolds1764000006000 implements MigrationInterface {
  name = 'AddOnDomainHolds1764000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_add_ons DROP CONSTRAINT IF EXISTS vendor_add_ons_status_check`);
    await q.query(`
      ALTER TABLE vendor_add_ons
        ADD COLUMN hold_expires_at  timestamptz,
        ADD COLUMN attention_reason text,
        ADD COLUMN addon_code       varchar(64),
        ALTER COLUMN add_on_product_id DROP NOT NULL,
        ADD CONSTRAINT ck_vendor_add_ons_status CHECK (status IN ('pending', 'active', 'cancelled', 'expired', 'needs_attention')),
        ADD CONSTRAINT ck_vendor_add_ons_pending_hold CHECK (status <> 'pending' OR (hold_expires_at IS NOT NULL AND domain_name IS NOT NULL)),
        ADD CONSTRAINT ck_vendor_add_ons_product CHECK (add_on_product_id IS NOT NULL OR status = 'needs_attention')`);
    await q.query(`DROP INDEX uq_vendor_add_ons_live_domain`);
    await q.query(`CREATE UNIQUE INDEX uq_vendor_add_ons_held_domain ON vendor_add_ons (domain_name) WHERE domain_name IS NOT NULL AND status IN ('pending', 'active')`);
    await q.query(`ALTER TABLE stripe_webhook_events DROP CONSTRAINT IF EXISTS stripe_webhook_events_status_check`);
    await q.query(`ALTER TABLE stripe_webhook_events ADD CONSTRAINT stripe_webhook_events_status_check CHECK (status IN ('processing', 'processed', 'failed', 'ignored', 'needs_attention'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stripe_webhook_events DROP CONSTRAINT stripe_webhook_events_status_check`);
    await q.query(`UPDATE stripe_webhook_events SET status = 'failed' WHERE status = 'needs_attention'`);
    await q.query(`ALTER TABLE stripe_webhook_events ADD CONSTRAINT stripe_webhook_events_status_check CHECK (status IN ('processing', 'processed', 'failed', 'ignored'))`);
    // Open holds were never add-ons; an add-on that needed attention and has no product cannot be kept.
    await q.query(`DELETE FROM vendor_add_ons WHERE status = 'pending' OR add_on_product_id IS NULL`);
    await q.query(`UPDATE vendor_add_ons SET status = 'expired' WHERE status = 'needs_attention'`);
    await q.query(`DROP INDEX uq_vendor_add_ons_held_domain`);
    await q.query(`CREATE UNIQUE INDEX uq_vendor_add_ons_live_domain ON vendor_add_ons (domain_name) WHERE domain_name IS NOT NULL AND status = 'active'`);
    await q.query(`
      ALTER TABLE vendor_add_ons
        DROP CONSTRAINT ck_vendor_add_ons_product,
        DROP CONSTRAINT ck_vendor_add_ons_pending_hold,
        DROP CONSTRAINT ck_vendor_add_ons_status,
        ALTER COLUMN add_on_product_id SET NOT NULL,
        DROP COLUMN addon_code,
        DROP COLUMN attention_reason,
        DROP COLUMN hold_expires_at,
        ADD CONSTRAINT vendor_add_ons_status_check CHECK (status IN ('active', 'cancelled', 'expired'))`);
  }
}
