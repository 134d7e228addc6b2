import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reads of Stripe never undo newer events (CONTRACT §6). `vendor_subscriptions.observed_watermark`: on the
 * database's clock, at full precision, the newest moment Stripe's state for the row was observed and applied — the
 * moment an event (subscription or invoice) was applied, or the moment a read that was applied began. A read (/sync,
 * reconciliation, a tie's re-read) applies only if it began after it. Stripe's own `created` seconds cannot settle
 * that: a read and an event of the same second tie there. Nullable: a row nothing was applied to has none.
 */
export class ObservedWatermark1764000021300 implements MigrationInterface {
  name = 'ObservedWatermark1764000021300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions ADD COLUMN observed_watermark timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions DROP COLUMN observed_watermark`);
  }
}
