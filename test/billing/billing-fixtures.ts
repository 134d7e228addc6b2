import { CatalogSyncService } from '@app/billing';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import type { StripeDouble } from '../stripe-double/stripe-double.js';
import { api, type TestApp } from '../support/test-app.js';

export const BILLING = '/api/v1/vendor/billing';

export interface TierPriceIds {
  essential: { month: string; year: string };
  professional: { month: string; year: string };
  business: { month: string; year: string };
}

/** Runs the real catalog sync against the double, so every priced tier and add-on has its Stripe ids. */
export async function syncCatalog(t: TestApp): Promise<TierPriceIds> {
  await t.app.get(CatalogSyncService).syncCatalog();
  const rows: Array<{ code: string; stripe_price_monthly_id: string; stripe_price_annual_id: string }> = await t.db.query(
    `SELECT code, stripe_price_monthly_id, stripe_price_annual_id FROM subscription_tiers WHERE code IN ('essential', 'professional', 'business')`,
  );
  const of = (code: string) => {
    const row = rows.find((r) => r.code === code)!;
    return { month: row.stripe_price_monthly_id, year: row.stripe_price_annual_id };
  };
  return { essential: of('essential'), professional: of('professional'), business: of('business') };
}

export async function subscriptionRow(t: TestApp, vendorId: number) {
  const [row] = await t.db.query(`SELECT * FROM vendor_subscriptions WHERE vendor_id = $1`, [vendorId]);
  return row;
}

/** Ends the vendor's local trial, so Checkout starts a paid (not trialing) Stripe subscription. */
export async function endTrial(t: TestApp, vendorId: number): Promise<void> {
  await t.db.query(`UPDATE vendor_subscriptions SET trial_ends_at = $2 WHERE vendor_id = $1`, [vendorId, new Date(Date.now() - 86_400_000)]);
}

export interface SubscribedVendor extends SignedUpVendor {
  subscriptionId: string;
  customerId: string;
}

/**
 * A vendor who went through Checkout for `tierCode` and paid (the double completes the session), after which the
 * billing page's POST /sync recorded the subscription. `trial: false` ends the local trial first (a paid period).
 */
export async function subscribedVendor(t: TestApp, double: StripeDouble, tierCode = 'professional', opts: { isAnnual?: boolean; trial?: boolean } = {}): Promise<SubscribedVendor> {
  const vendor = await signUpVendor(t);
  if (opts.trial !== true) await endTrial(t, vendor.vendorId);
  const checkout = await api(t, vendor.token).post(`${BILLING}/checkout`).send({ tier_code: tierCode, is_annual: opts.isAnnual ?? false });
  if (checkout.status !== 200) throw new Error(`checkout failed: ${checkout.status} ${JSON.stringify(checkout.body)}`);
  const { subscription } = double.completeCheckout(checkout.body.session_id);
  const sync = await api(t, vendor.token).post(`${BILLING}/sync`).send({});
  if (sync.status !== 200) throw new Error(`sync failed: ${sync.status} ${JSON.stringify(sync.body)}`);
  const row = await subscriptionRow(t, vendor.vendorId);
  if (row.stripe_subscription_id !== subscription!.id) throw new Error('sync did not link the subscription');
  return { ...vendor, subscriptionId: subscription!.id, customerId: row.stripe_customer_id };
}

/** Requests the app sent to the double since `from` (an index into `double.requests`). */
export function sentSince(double: StripeDouble, from: number, method: string, path: string | RegExp) {
  return double.requests.slice(from).filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
}
