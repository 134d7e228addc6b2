import { legacyEvent, legacyInvoice, legacySubscription, type LegacyVersion } from '../../libs/billing/src/webhooks/fixtures/stripe-shapes.js';
import { BILLING, sentSince, subscribedVendor, subscriptionRow, syncCatalog, type SubscribedVendor, type TierPriceIds } from '../billing/billing-fixtures.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, eventRow, stripeClient } from './webhook-fixtures.js';

/**
 * CONTRACT §6, "Stripe's shapes across API versions": real signed webhooks through the double, in the shapes Stripe
 * sends to an endpoint of an older API version or for changes made outside the product (a `cancel_at`, a plan
 * price on the second item), and the product's answer on /subscription.
 */
describe('webhooks: Stripe shapes across API versions', () => {
  const { t, double } = useStripeTestApp();
  let prices: TierPriceIds;

  beforeAll(async () => {
    prices = await syncCatalog(t);
  });

  const view = async (v: SubscribedVendor) => (await api(t, v.token).get(`${BILLING}/subscription`)).body;
  /** The `customer.subscription.updated` the double recorded for the last change of `subscriptionId`. */
  const lastUpdate = (subscriptionId: string) =>
    [...double.state.events.values()].filter((e) => e.type === 'customer.subscription.updated' && (e.data.object as { id: string }).id === subscriptionId).at(-1)!;

  it('shows a cancellation scheduled with cancel_at (on the period end, then another date) and reactivates it', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    const stripe = stripeClient(double);
    const periodEnd = double.state.subscriptions.get(v.subscriptionId)!.items.data[0].current_period_end;
    const [{ last }] = await t.db.query(`SELECT COALESCE(max(id), 0) AS last FROM platform_events`);

    // As the dashboard or the API does it: cancel_at = min_period_end is reported with cancel_at_period_end false.
    await stripe.subscriptions.update(v.subscriptionId, { cancel_at: 'min_period_end' });
    expect(double.state.subscriptions.get(v.subscriptionId)).toMatchObject({ cancel_at: periodEnd, cancel_at_period_end: false });
    expect((await deliver(t, double, lastUpdate(v.subscriptionId))).status).toBe(200);
    expect(await view(v)).toMatchObject({ cancel_at_period_end: true, cancel_at: new Date(periodEnd * 1000).toISOString(), ends_at: new Date(periodEnd * 1000).toISOString() });

    const earlier = periodEnd - 5 * 86_400;
    await stripe.subscriptions.update(v.subscriptionId, { cancel_at: earlier });
    expect((await deliver(t, double, lastUpdate(v.subscriptionId))).status).toBe(200);
    const iso = new Date(earlier * 1000).toISOString();
    expect(await view(v)).toMatchObject({ status: 'active', cancel_at_period_end: false, cancel_at: iso, ends_at: iso });
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ cancel_at: new Date(earlier * 1000) });

    const from = double.requests.length;
    const res = await api(t, v.token).post(`${BILLING}/reactivate`).send({});
    expect(res.status).toBe(200);
    expect(sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`).map((r) => r.params)).toEqual([{ cancel_at: '' }]);
    expect(double.state.subscriptions.get(v.subscriptionId)).toMatchObject({ cancel_at: null, cancel_at_period_end: false });
    expect(await view(v)).toMatchObject({ cancel_at_period_end: false, cancel_at: null, ends_at: null });

    // min_period_end again, reactivated: cancel_at_period_end false does not clear a cancel_at, so cancel_at '' follows.
    await stripe.subscriptions.update(v.subscriptionId, { cancel_at: 'min_period_end' });
    expect((await deliver(t, double, lastUpdate(v.subscriptionId))).status).toBe(200);
    const again = double.requests.length;
    // Not a double click of the first reactivation (the same request within seconds is answered as that one).
    await t.db.query(`UPDATE billing_operations SET created_at = created_at - interval '1 minute' WHERE vendor_id = $1`, [v.vendorId]);
    expect((await api(t, v.token).post(`${BILLING}/reactivate`).send({})).status).toBe(200);
    expect(sentSince(double, again, 'POST', `/v1/subscriptions/${v.subscriptionId}`).map((r) => r.params)).toEqual([{ cancel_at_period_end: 'false' }, { cancel_at: '' }]);
    expect(double.state.subscriptions.get(v.subscriptionId)).toMatchObject({ cancel_at: null, cancel_at_period_end: false });
    expect(await view(v)).toMatchObject({ cancel_at_period_end: false, cancel_at: null });

    // Each change of the cancellation was a subscription.updated for the platform (CONTRACT §9), cancel_at with it.
    const events = await t.db.query(`SELECT data FROM platform_events WHERE vendor_id = $1 AND type = 'subscription.updated' AND id > $2 ORDER BY id`, [v.vendorId, last]);
    const base = { tier_code: 'professional', status: 'active' };
    expect(events.map((e: { data: unknown }) => e.data)).toEqual([
      { ...base, cancel_at_period_end: true, previous: { cancel_at_period_end: false } },
      { ...base, cancel_at_period_end: false, cancel_at: iso, previous: { cancel_at_period_end: true, cancel_at: null } },
      { ...base, cancel_at_period_end: false, cancel_at: null, previous: { cancel_at: iso } },
      { ...base, cancel_at_period_end: true, previous: { cancel_at_period_end: false } },
      { ...base, cancel_at_period_end: false, previous: { cancel_at_period_end: true } },
    ]);
  });

  it('recognises the plan price on the second item (an add-on first) without metadata.tier_code', async () => {
    const v = await subscribedVendor(t, double, 'essential');
    const stripe = stripeClient(double);
    const extra = double.createPrice({ unit_amount: 500, interval: 'month', product_name: 'Extra storage' });
    const sub = double.state.subscriptions.get(v.subscriptionId)!;
    await stripe.subscriptions.update(v.subscriptionId, {
      items: [{ id: sub.items.data[0].id, price: prices.business.month }, { price: extra.id }],
      metadata: { tier_code: '' },
      proration_behavior: 'none',
    });
    sub.items.data.reverse(); // the add-on's item first, as Stripe lists items in the order they were added
    // Stamped now: a tie with the /sync of this second is settled by re-reading the subscription, as Stripe holds it.
    const event = double.makeEvent('customer.subscription.updated', sub, { created: Math.floor(Date.now() / 1000) });
    expect(sub.metadata.tier_code).toBeUndefined();
    expect(sub.items.data.map((i) => i.price.id)).toEqual([extra.id, prices.business.month]);

    expect((await deliver(t, double, event)).status).toBe(200);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed' });
    expect((await view(v)).tier).toMatchObject({ code: 'business' });
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: 'business', stripe_price_id: prices.business.month, is_annual: false });

    // A tier change addresses the plan's item, not the add-on's in front of it.
    const change = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'professional', is_annual: false });
    expect(change.status).toBe(200);
    expect(change.body).toMatchObject({ new_tier: 'professional', effective_immediately: true });
    expect(double.state.subscriptions.get(v.subscriptionId)!.items.data.map((i) => i.price.id)).toEqual([extra.id, prices.professional.month]);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: 'professional', stripe_price_id: prices.professional.month });
  });

  describe.each(['2020-08-27', '2024-06-20'] as LegacyVersion[])('events of API version %s', (version) => {
    it('customer.subscription.updated (period on the subscription) moves the period', async () => {
      const v = await subscribedVendor(t, double, 'professional');
      const before = await subscriptionRow(t, v.vendorId);
      const start = Math.floor(before.period_end.getTime() / 1000);
      const end = start + 30 * 86_400;
      const subscription = legacySubscription(version, {
        id: v.subscriptionId, customer: v.customerId, prices: [{ id: prices.professional.month }], periodStart: start, periodEnd: end, metadata: { vendor_id: String(v.vendorId) },
      });
      const event = legacyEvent(version, 'customer.subscription.updated', subscription, {
        id: `evt_${version}_sub_${v.vendorId}`, created: Math.floor(Date.now() / 1000) + 2, previous_attributes: { current_period_start: start - 30 * 86_400, current_period_end: start },
      });

      expect((await deliver(t, double, event)).status).toBe(200);
      expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed' });
      expect(await view(v)).toMatchObject({ tier: { code: 'professional' }, status: 'active', period_start: new Date(start * 1000).toISOString(), period_end: new Date(end * 1000).toISOString() });
    });

    it('invoice.paid of a renewal (subscription at the top, a line of type subscription) moves the period', async () => {
      const v = await subscribedVendor(t, double, 'professional');
      const row = await subscriptionRow(t, v.vendorId);
      const lineStart = Math.floor(row.period_end.getTime() / 1000);
      const lineEnd = lineStart + 30 * 86_400;
      const invoice = legacyInvoice(version, {
        id: `in_p${version.replaceAll('-', '')}${v.vendorId}`, customer: v.customerId, subscription: v.subscriptionId, metadata: { vendor_id: String(v.vendorId) },
        status: 'paid', billing_reason: 'subscription_cycle', amount: 9900, lineStart, lineEnd, created: lineStart,
      });
      const event = legacyEvent(version, 'invoice.paid', invoice, { id: `evt_${version}_paid_${v.vendorId}`, created: Math.floor(Date.now() / 1000) });

      expect((await deliver(t, double, event)).status).toBe(200);
      expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed' });
      expect(await view(v)).toMatchObject({ status: 'active', period_start: new Date(lineStart * 1000).toISOString(), period_end: new Date(lineEnd * 1000).toISOString() });
    });

    it('invoice.payment_failed (subscription at the top) marks the plan past_due', async () => {
      const v = await subscribedVendor(t, double, 'professional');
      const row = await subscriptionRow(t, v.vendorId);
      const lineStart = Math.floor(row.period_start.getTime() / 1000);
      const invoice = legacyInvoice(version, {
        id: `in_${version.replaceAll('-', '')}${v.vendorId}`, customer: v.customerId, subscription: v.subscriptionId, metadata: { vendor_id: String(v.vendorId) },
        status: 'open', billing_reason: 'subscription_cycle', amount: 9900, attempt_count: 1, lineStart, lineEnd: Math.floor(row.period_end.getTime() / 1000), created: Math.floor(Date.now() / 1000),
      });
      const event = legacyEvent(version, 'invoice.payment_failed', invoice, { id: `evt_${version}_inv_${v.vendorId}`, created: Math.floor(Date.now() / 1000) });

      expect((await deliver(t, double, event)).status).toBe(200);
      expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed' });
      expect(await view(v)).toMatchObject({ status: 'past_due', past_due_since: expect.any(String) });
      expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ status: 'past_due', payment_retry_count: 1 });
      const [bill] = await t.db.query(`SELECT stripe_subscription_id, status FROM billing_history WHERE stripe_invoice_id = $1`, [invoice.id]);
      expect(bill).toEqual({ stripe_subscription_id: v.subscriptionId, status: 'open' });
    });
  });
});
