import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

export interface SubscriptionRow {
  tier_code?: string;
  status?: 'trial' | 'active' | 'past_due' | 'cancelled' | 'expired';
  is_annual?: boolean;
  trial_ends_at?: Date | null;
  period_start: Date;
  period_end: Date;
  stripe_subscription_id?: string | null;
  stripe_customer_id?: string | null;
  stripe_price_id?: string | null;
  has_payment_method?: boolean;
  orders_this_period?: number;
  products_count?: number;
  team_members_count?: number;
  vendor_active?: boolean;
}

/** A vendor with its subscription row exactly as given (the jobs' inputs), straight into the tables. */
export async function insertSubscription(db: DataSource, row: SubscriptionRow): Promise<{ vendorId: number; subscriptionId: number }> {
  const code = `v-${randomBytes(6).toString('hex')}`;
  const [vendor] = await db.query(`INSERT INTO vendors (code, name, is_active) VALUES ($1, $1, $2) RETURNING id`, [code, row.vendor_active ?? true]);
  const [sub] = await db.query(
    `INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, is_annual, trial_ends_at, period_start, period_end,
            stripe_subscription_id, has_payment_method, orders_this_period, products_count, team_members_count,
            stripe_customer_id, stripe_price_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
    [
      vendor.id, row.tier_code ?? 'essential', row.status ?? 'active', row.is_annual ?? false, row.trial_ends_at ?? null,
      row.period_start, row.period_end, row.stripe_subscription_id ?? null, row.has_payment_method ?? false,
      row.orders_this_period ?? 0, row.products_count ?? 0, row.team_members_count ?? 1,
      row.stripe_customer_id ?? null, row.stripe_price_id ?? null,
    ],
  );
  return { vendorId: vendor.id, subscriptionId: sub.id };
}

export async function subscriptionOf(db: DataSource, vendorId: number) {
  const [row] = await db.query(`SELECT * FROM vendor_subscriptions WHERE vendor_id = $1`, [vendorId]);
  return row;
}

export const at = (iso: string) => new Date(iso);
