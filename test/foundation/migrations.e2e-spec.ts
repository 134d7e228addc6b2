import { DataSource } from 'typeorm';
import { dataSourceOptions, DEFAULT_ADD_ONS, DEFAULT_TIERS } from '@app/database';
import { createTestDatabase } from '../support/database.js';

describe('migrations', () => {
  let db: DataSource;

  beforeAll(async () => {
    db = new DataSource(dataSourceOptions(await createTestDatabase()));
    await db.initialize();
  });
  afterAll(() => db.destroy());

  it('seeds the four tiers and five add-ons of the design note', async () => {
    const tiers = await db.query(`SELECT code, price_monthly_cents, price_annual_cents, products_limit, orders_per_month, team_members, features FROM subscription_tiers ORDER BY display_order`);
    expect(tiers).toEqual([
      { code: 'essential', price_monthly_cents: 4900, price_annual_cents: 49000, products_limit: 200, orders_per_month: 100, team_members: 1, features: ['basic_support'] },
      { code: 'professional', price_monthly_cents: 9900, price_annual_cents: 99000, products_limit: null, orders_per_month: 500, team_members: 3, features: ['basic_support', 'priority_support'] },
      { code: 'business', price_monthly_cents: 19900, price_annual_cents: 199000, products_limit: null, orders_per_month: 2000, team_members: 10, features: expect.arrayContaining(['analytics', 'api_access']) },
      { code: 'enterprise', price_monthly_cents: null, price_annual_cents: null, products_limit: null, orders_per_month: null, team_members: null, features: expect.arrayContaining(['white_label', 'custom_integrations']) },
    ]);
    const addOns = await db.query(`SELECT code, price_cents, billing_period, requires_domain FROM add_on_products ORDER BY display_order`);
    expect(addOns).toEqual([
      { code: 'domain', price_cents: 1500, billing_period: 'year', requires_domain: true },
      { code: 'ssl_premium', price_cents: 4900, billing_period: 'year', requires_domain: false },
      { code: 'email_5', price_cents: 500, billing_period: 'month', requires_domain: false },
      { code: 'email_10', price_cents: 900, billing_period: 'month', requires_domain: false },
      { code: 'email_25', price_cents: 1900, billing_period: 'month', requires_domain: false },
    ]);
    expect(tiers).toHaveLength(DEFAULT_TIERS.length);
    expect(addOns).toHaveLength(DEFAULT_ADD_ONS.length);
  });

  it('runs every migration down and up again', async () => {
    const applied = db.migrations.length;
    for (let i = 0; i < applied; i++) await db.undoLastMigration();
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`);
    expect(count).toBe(0);
    await db.runMigrations();
    const [{ tiers }] = await db.query(`SELECT count(*)::int AS tiers FROM subscription_tiers`);
    expect(tiers).toBe(4);
  });

  it('refuses negative counters and cents', async () => {
    const [{ id: vendorId }] = await db.query(`INSERT INTO vendors (code, name) VALUES ('check-v', 'V') RETURNING id`);
    await expect(db.query(`INSERT INTO products (vendor_id, name, price_cents) VALUES ($1, 'p', -1)`, [vendorId])).rejects.toThrow(/check/i);
    await expect(
      db.query(`INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, period_start, period_end, products_count) VALUES ($1, 'essential', 'trial', now(), now() + interval '1 month', -1)`, [vendorId]),
    ).rejects.toThrow(/check/i);
  });
});
