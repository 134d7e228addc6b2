import { subscribedVendor, syncCatalog } from '../billing/billing-fixtures.js';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, unix } from '../webhooks/webhook-fixtures.js';

/**
 * CONTRACT §10 × §11: a plan is worth what its vendor pays. After a tier's price changes, a grandfathered vendor
 * keeps its old price at Stripe, so its next change of plan (here: a cancellation at the period's end) is valued at
 * the old price — no expansion nobody paid — and MRR counts each vendor at its own price. When Stripe moves the
 * vendor to the new price (a migration's phase taking effect: only the amount moves) the history records it, and MRR
 * rises by exactly the difference.
 */
describe('revenue values grandfathered prices at what the vendor pays', () => {
  const { t, double } = useStripeTestApp(ADMIN_ENV);

  beforeAll(async () => {
    await syncCatalog(t);
  });

  const lastChange = async (vendorId: number) => {
    const [row] = await t.db.query(
      `SELECT changed, value_before_cents, value_after_cents FROM subscription_changes
        WHERE vendor_id = $1 AND vendor_add_on_id IS NULL AND NOT scheduled ORDER BY changed_at DESC, id DESC LIMIT 1`,
      [vendorId],
    );
    return row;
  };
  const mrr = async (admin: string) => {
    const res = await api(t, admin).get('/api/v1/admin/revenue?months=1');
    expect(res.status).toBe(200);
    return res.body.current.mrr_cents as number;
  };

  it('a grandfathered vendor is valued at its old price until Stripe bills the new one', async () => {
    const admin = await adminToken(t);
    const old = await subscribedVendor(t, double, 'professional'); // 99.00 a month
    const patched = await api(t, admin).patch('/api/v1/admin/subscription-tiers/professional').send({ price_monthly_cents: 10900 });
    expect(patched.status).toBe(200);
    const newPrice: string = patched.body.stripe_price_monthly_id;
    const newcomer = await subscribedVendor(t, double, 'professional'); // 109.00 a month
    expect(await mrr(admin)).toBe(9900 + 10900);

    // The grandfathered vendor schedules its cancellation: still 99.00 until the period's end, not 109.00.
    const now = unix(new Date());
    double.updateSubscriptionState(old.subscriptionId, { cancel_at_period_end: true });
    expect((await deliver(t, double, double.makeEvent('customer.subscription.updated', double.state.subscriptions.get(old.subscriptionId)!, { created: now + 10 }))).status).toBe(200);
    expect(await lastChange(old.vendorId)).toMatchObject({ changed: expect.arrayContaining(['cancel_at_period_end']), value_before_cents: 9900, value_after_cents: 9900 });
    expect(await mrr(admin)).toBe(9900 + 10900);

    // It stays, and Stripe moves it to the new price: the amount alone is a change of plan, worth the difference.
    double.updateSubscriptionState(old.subscriptionId, { cancel_at_period_end: false, price: newPrice });
    expect((await deliver(t, double, double.makeEvent('customer.subscription.updated', double.state.subscriptions.get(old.subscriptionId)!, { created: now + 20 }))).status).toBe(200);
    expect(await lastChange(old.vendorId)).toMatchObject({ value_before_cents: 9900, value_after_cents: 10900 });
    expect((await lastChange(old.vendorId)).changed).toEqual(expect.arrayContaining(['stripe_price_amount_cents']));
    expect(await mrr(admin)).toBe(2 * 10900);
    expect(await lastChange(newcomer.vendorId)).toMatchObject({ value_after_cents: 10900 });
  });
});
