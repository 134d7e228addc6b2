import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Billing operations as rows (CONTRACT §5, DESIGN "Stripe calls are never made inside a transaction").
 *
 * - `billing_operations`: each vendor-initiated Stripe change (checkout, tier change, cancel, reactivate, add-on
 *   purchase or cancel, portal) is a row written before Stripe is called and completed after, so a crash or a failed
 *   local write in between is finished by the next sync instead of being lost. `idempotency_key` is the key sent to
 *   Stripe (a UUID: unique per operation, even across databases that share a Stripe account); `client_key` is the caller's `Idempotency-Key` header (unique per vendor).
 *   The row that holds `lease_expires_at` in the future is the vendor's running operation: one at a time per
 *   vendor, taken and released in short statements, so waiting costs no connection and no lock.
 * - `vendor_subscriptions.pending_tier_code`: the tier a change is moving to while Stripe is asked. Limit claims
 *   enforce the lower of the two tiers' limits until it is cleared (or expires, should the process die).
 */
export class BillingOperations1764000005000 implements MigrationInterface {
  name = 'BillingOperations1764000005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE billing_operations (
        id                bigserial    PRIMARY KEY,
        vendor_id         integer      NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        kind              varchar(32)  NOT NULL,
        params            jsonb        NOT NULL DEFAULT '{}',
        request_hash      varchar(64)  NOT NULL,
        client_key        varchar(128),
        idempotency_key   varchar(255) NOT NULL DEFAULT ('op:' || gen_random_uuid()) CONSTRAINT uq_billing_operations_idempotency_key UNIQUE,
        status            varchar(24)  NOT NULL CHECK (status IN ('queued', 'running', 'stripe_succeeded', 'succeeded', 'failed', 'abandoned')),
        lease_expires_at  timestamptz,
        response          jsonb,
        error             jsonb,
        stripe_object_id  varchar(255),
        created_at        timestamptz  NOT NULL DEFAULT now(),
        started_at        timestamptz,
        completed_at      timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_billing_operations_client_key ON billing_operations (vendor_id, client_key) WHERE client_key IS NOT NULL`);
    await q.query(`CREATE INDEX ix_billing_operations_vendor_open ON billing_operations (vendor_id, id) WHERE status IN ('queued', 'running', 'stripe_succeeded')`);
    await q.query(`CREATE INDEX ix_billing_operations_vendor_recent ON billing_operations (vendor_id, request_hash, created_at DESC)`);
    await q.query(`ALTER TABLE vendor_subscriptions ADD COLUMN pending_tier_code varchar(32), ADD COLUMN pending_tier_expires_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions DROP COLUMN pending_tier_code, DROP COLUMN pending_tier_expires_at`);
    await q.query(`DROP TABLE billing_operations`);
  }
}
