import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `vendor_subscriptions.stripe_item_price_ids`: every item's price of the vendor's Stripe subscription as last
 * applied (the plan's, add-ons' on it, a tier's metered overage price), written with every Stripe patch. The order
 * claim takes an order past the limit as overage only while the subscription carries its tier's current metered
 * price (CONTRACT §12): a subscription that started before its tier priced overage, or an annual one, has no metered
 * item, and an overage order there would be accepted and billed by nobody. NULL (rows from before this column):
 * hard-limited until the next Stripe patch (a webhook, /sync, a tier change) writes it. Adding a nullable column
 * without a default is metadata only.
 */
export class SubscriptionItemPrices1764000035000 implements MigrationInterface {
  name = 'SubscriptionItemPrices1764000035000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions ADD COLUMN stripe_item_price_ids text[]`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions DROP COLUMN stripe_item_price_ids`);
  }
}
