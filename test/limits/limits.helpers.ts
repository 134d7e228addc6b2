import request from 'supertest';
import type { TestApp } from '../support/test-app.js';

export const ADMIN_ENV = { ADMIN_EMAIL: 'admin@platform.test', ADMIN_PASSWORD: 'admin-password-1' };

export async function adminToken(t: TestApp): Promise<string> {
  const res = await request(t.http).post('/api/v1/auth/login').send({ email: ADMIN_ENV.ADMIN_EMAIL, password: ADMIN_ENV.ADMIN_PASSWORD });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}

/** Puts a vendor on a tier (as a completed Checkout would), without touching its counters. */
export async function moveToTier(t: TestApp, vendorId: number, tierCode: string, status = 'active'): Promise<void> {
  await t.db.query(`UPDATE vendor_subscriptions SET tier_code = $2, status = $3 WHERE vendor_id = $1`, [vendorId, tierCode, status]);
}

/** A tier straight into the table, for tests that need small limits. */
export async function insertTier(t: TestApp, code: string, limits: { products: number | null; orders: number | null; team: number | null }, features: string[] = []): Promise<void> {
  await t.db.query(
    `INSERT INTO subscription_tiers (code, name, products_limit, orders_per_month, team_members, features, display_order, price_monthly_cents)
     VALUES ($1, $1, $2, $3, $4, $5::jsonb, 100, 1000)`,
    [code, limits.products, limits.orders, limits.team, JSON.stringify(features)],
  );
}

export interface Usage {
  products_count: number;
  orders_this_period: number;
  team_members_count: number;
  products: number;
  orders: number;
  users: number;
}

/** The counters next to the rows they count. */
export async function usage(t: TestApp, vendorId: number): Promise<Usage> {
  const [row] = await t.db.query(
    `SELECT s.products_count, s.orders_this_period, s.team_members_count,
            (SELECT count(*)::int FROM products WHERE vendor_id = $1) AS products,
            (SELECT count(*)::int FROM orders WHERE vendor_id = $1) AS orders,
            (SELECT count(*)::int FROM users WHERE vendor_id = $1) AS users
       FROM vendor_subscriptions s WHERE s.vendor_id = $1`,
    [vendorId],
  );
  return row;
}

/** Runs `count` calls with at most `width` in flight, in order. */
export async function inBatches<T>(count: number, width: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += width) {
    const batch = await Promise.all(Array.from({ length: Math.min(width, count - start) }, (_, k) => call(start + k)));
    out.push(...batch);
  }
  return out;
}

/**
 * The vendor's Stripe subscription carries its tier's metered overage price (as a Checkout or tier change leaves it,
 * CONTRACT §12): the tier gets a metered price id when it has none (no catalog sync in the test), and the row's
 * `stripe_item_price_ids` the plan's and that one, as the writer records them from Stripe.
 */
export async function carryMeteredItem(t: TestApp, vendorId: number): Promise<string> {
  await t.db.query(
    `UPDATE subscription_tiers t SET stripe_overage_price_id = COALESCE(t.stripe_overage_price_id, 'price_metered_' || t.code)
       FROM vendor_subscriptions s WHERE s.vendor_id = $1 AND t.code = s.tier_code`,
    [vendorId],
  );
  const [{ id }] = await t.db.query(`SELECT t.stripe_overage_price_id AS id FROM subscription_tiers t JOIN vendor_subscriptions s ON s.tier_code = t.code WHERE s.vendor_id = $1`, [vendorId]);
  await t.db.query(`UPDATE vendor_subscriptions SET stripe_item_price_ids = ARRAY[COALESCE(stripe_price_id, 'price_plan'), $2::text] WHERE vendor_id = $1`, [vendorId, id]);
  return id;
}
