import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_ADD_ONS, DEFAULT_TIERS } from './seed-data.js';

/** The four default tiers and five add-ons of the design note. Re-running it leaves edited rows alone. */
export class SeedTiersAndAddOns1764000000001 implements MigrationInterface {
  name = 'SeedTiersAndAddOns1764000000001';

  async up(q: QueryRunner): Promise<void> {
    for (const [i, t] of DEFAULT_TIERS.entries()) {
      await q.query(
        `INSERT INTO subscription_tiers
           (code, name, description, price_monthly_cents, price_annual_cents, products_limit, orders_per_month, team_members, features, display_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
         ON CONFLICT (code) DO NOTHING`,
        [t.code, t.name, t.description, t.priceMonthlyCents, t.priceAnnualCents, t.productsLimit, t.ordersPerMonth, t.teamMembers, JSON.stringify(t.features), i + 1],
      );
    }
    for (const [i, a] of DEFAULT_ADD_ONS.entries()) {
      await q.query(
        `INSERT INTO add_on_products (code, name, description, category, price_cents, billing_period, requires_domain, display_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (code) DO NOTHING`,
        [a.code, a.name, a.description, a.category, a.priceCents, a.billingPeriod, a.requiresDomain, i + 1],
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM add_on_products WHERE code = ANY($1)`, [DEFAULT_ADD_ONS.map((a) => a.code)]);
    await q.query(`DELETE FROM subscription_tiers WHERE code = ANY($1)`, [DEFAULT_TIERS.map((t) => t.code)]);
  }
}
