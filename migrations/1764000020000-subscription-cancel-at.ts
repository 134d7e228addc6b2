import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `vendor_subscriptions.cancel_at`: a cancellation Stripe has scheduled with `cancel_at` for a date other than the
 * period's end (one at the period's end stays `cancel_at_period_end`). Nullable, no default: adding it rewrites
 * nothing and running API processes, which name their columns, keep working before and after it (CONTRACT §5).
 */
export class SubscriptionCancelAt1764000020000 implements MigrationInterface {
  name = 'SubscriptionCancelAt1764000020000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions ADD COLUMN IF NOT EXISTS cancel_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions DROP COLUMN IF EXISTS cancel_at`);
  }
}
