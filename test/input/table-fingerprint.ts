import type { TestApp } from '../support/test-app.js';

/** The tables a request could write: a request that must change nothing leaves each one's rows as they were. */
export const WRITABLE_TABLES = [
  'vendors', 'users', 'products', 'orders', 'subscription_tiers', 'vendor_subscriptions', 'add_on_products',
  'vendor_add_ons', 'stripe_webhook_events', 'billing_history', 'capacity_snapshots',
] as const;

/** Row count and an md5 over every row's text, per table. */
export async function tableFingerprint(t: TestApp, tables: readonly string[] = WRITABLE_TABLES): Promise<Record<string, string>> {
  const sql = tables
    .map((table) => `SELECT '${table}' AS t, count(*)::text || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') AS f FROM ${table} x`)
    .join(' UNION ALL ');
  const rows: Array<{ t: string; f: string }> = await t.db.query(sql);
  return Object.fromEntries(rows.map((r) => [r.t, r.f]));
}
