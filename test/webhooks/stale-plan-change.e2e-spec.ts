import type Stripe from 'stripe';
import { subscribedVendor, syncCatalog, type TierPriceIds } from '../billing/billing-fixtures.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, eventRow, subscriptionRow, unix } from './webhook-fixtures.js';

/**
 * CONTRACT §6: an older `customer.subscription.*` event never overwrites newer state. But an invoice that changed the
 * status moves the watermark to its own time while it knows nothing of the plan: a tier change made at Stripe just
 * before (its `customer.subscription.updated` delivered after the invoice) carries something no newer event applied.
 * Skipping it as stale would lose the upgrade for good; it is settled as a same-second tie is, by the subscription as
 * Stripe holds it now. An older event that carries nothing new (the same plan) stays a plain skip, with no read.
 */
describe('an older plan change delivered after a newer invoice', () => {
  const { t, double } = useStripeTestApp();
  let prices: TierPriceIds;

  beforeAll(async () => {
    prices = await syncCatalog(t);
  });

  afterEach(() => t.clock.reset());

  const send = async (event: Stripe.Event) => {
    expect((await deliver(t, double, event)).status).toBe(200);
  };

  it('is not lost: the subscription is re-read and the new tier applied, the status the invoice set kept', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    const now = unix(new Date());
    // At Stripe: past_due (applied), then the vendor upgrades to business (+30 s), then a retried invoice is paid (+60 s).
    double.updateSubscriptionState(v.subscriptionId, { status: 'past_due' });
    await send(double.makeEvent('customer.subscription.updated', double.state.subscriptions.get(v.subscriptionId)!, { created: now + 10 }));
    expect((await subscriptionRow(t, v.vendorId)).status).toBe('past_due');
    double.updateSubscriptionState(v.subscriptionId, { price: prices.business.month });
    const upgraded = double.makeEvent('customer.subscription.updated', structuredClone(double.state.subscriptions.get(v.subscriptionId)!), { created: now + 30 });
    double.updateSubscriptionState(v.subscriptionId, { status: 'active' });
    const invoice = double.createInvoice({ subscription: v.subscriptionId, billing_reason: 'subscription_cycle', created: now + 60 });

    // Delivered the other way round: the invoice first, then the upgrade.
    await send(double.makeEvent('invoice.paid', invoice, { created: now + 60 }));
    expect((await subscriptionRow(t, v.vendorId))).toMatchObject({ status: 'active', tier_code: 'professional' });
    // The re-read happens later than every event it settles, as it does when Stripe's events are in the past.
    t.clock.advance(90_000);
    const from = double.requests.length;
    await send(upgraded);

    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ status: 'active', tier_code: 'business' });
    expect(await eventRow(t, upgraded.id)).toMatchObject({ status: 'processed', error: expect.stringContaining('settled by a re-read') });
    expect(double.requests.slice(from).filter((r) => r.method === 'GET' && r.path === `/v1/subscriptions/${v.subscriptionId}`)).toHaveLength(1);
  });

  it('an older event with the plan the row already has is skipped without a read', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    const now = unix(new Date());
    double.updateSubscriptionState(v.subscriptionId, { status: 'past_due' });
    const old = double.makeEvent('customer.subscription.updated', structuredClone(double.state.subscriptions.get(v.subscriptionId)!), { created: now + 10 });
    double.updateSubscriptionState(v.subscriptionId, { status: 'active' });
    await send(double.makeEvent('customer.subscription.updated', double.state.subscriptions.get(v.subscriptionId)!, { created: now + 30 }));
    const from = double.requests.length;
    await send(old);

    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ status: 'active', tier_code: 'professional' });
    expect((await eventRow(t, old.id))).toMatchObject({ status: 'processed' });
    expect(double.requests.slice(from).filter((r) => r.method === 'GET')).toHaveLength(0);
  });
});
