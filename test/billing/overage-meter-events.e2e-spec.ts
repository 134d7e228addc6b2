// Each overage order reaches Stripe's Billing Meter exactly once (CONTRACT §12): orders over HTTP write the
// meter-event rows, the sender (the worker's loop) sends them to the Stripe double through the real SDK, through a
// Stripe outage, a worker that died after Stripe accepted (the row still pending), and two senders at once.
import { ConfigService } from '@nestjs/config';
import { Clock } from '@app/common';
import { CatalogSyncService } from '@app/billing';
import { StripeService } from '@app/stripe';
import { MeterEventSenderService, OVERAGE_METER_EVENT_NAME } from '@app/subscription';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { signUpVendor } from '../factories/vendor.factory.js';
import { insertTier, moveToTier } from '../limits/limits.helpers.js';
import { meterUsage } from '../stripe-double/resources/meters.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, linkedVendor, priceTheTiers, stripeClient } from '../webhooks/webhook-fixtures.js';

const METER_EVENTS = '/v1/billing/meter_events';

describe('overage meter events to Stripe', () => {
  const { t, double } = useStripeTestApp({ STRIPE_MAX_NETWORK_RETRIES: '2' });
  let sender: MeterEventSenderService;

  beforeAll(async () => {
    await insertTier(t, 'ovg-meter', { products: 5, orders: 1, team: 3 });
    await t.db.query(`UPDATE subscription_tiers SET orders_overage_price_cents = 100, price_monthly_cents = 100000 WHERE code = 'ovg-meter'`);
    // stripe:sync-catalog makes the overage meter and the tier's metered price.
    await t.app.get(CatalogSyncService).syncCatalog();
    sender = t.app.get(MeterEventSenderService);
  });

  it('stripe:sync-catalog creates one overage meter and each such tier\'s metered price, idempotently', async () => {
    const meters = await stripeClient(double).billing.meters.list({ status: 'active' });
    expect(meters.data.filter((m) => m.event_name === OVERAGE_METER_EVENT_NAME)).toHaveLength(1);
    const [tier] = await t.db.query(`SELECT stripe_overage_price_id FROM subscription_tiers WHERE code = 'ovg-meter'`);
    const price = double.state.prices.get(tier.stripe_overage_price_id)!;
    expect(price).toMatchObject({ unit_amount: 100, lookup_key: 'tier:ovg-meter:overage', recurring: { interval: 'month', usage_type: 'metered', meter: meters.data[0].id } });
    const [hard] = await t.db.query(`SELECT stripe_overage_price_id FROM subscription_tiers WHERE code = 'essential'`);
    expect(hard.stripe_overage_price_id).toBeNull();
    const again = await t.app.get(CatalogSyncService).syncCatalog();
    expect(again.created).toBe(0);
    expect(again.objects.filter((o) => o.kind === 'meter' || o.key === 'tier:ovg-meter:overage').map((o) => o.action)).toEqual(['reused', 'reused']);
    // A new overage price replaces the metered price (Stripe prices are immutable) on the same meter.
    await t.db.query(`UPDATE subscription_tiers SET orders_overage_price_cents = 120 WHERE code = 'ovg-meter'`);
    await t.app.get(CatalogSyncService).syncCatalog();
    const [changed] = await t.db.query(`SELECT stripe_overage_price_id FROM subscription_tiers WHERE code = 'ovg-meter'`);
    expect(double.state.prices.get(changed.stripe_overage_price_id)).toMatchObject({ unit_amount: 120, recurring: { usage_type: 'metered', meter: meters.data[0].id } });
    await t.db.query(`UPDATE subscription_tiers SET orders_overage_price_cents = 100 WHERE code = 'ovg-meter'`);
  });

  it('opens a monthly plan Checkout with the tier\'s metered price beside the plan, and the plan still reads as the tier', async () => {
    const v = await signUpVendor(t);
    const res = await api(t, v.token).post('/api/v1/vendor/billing/checkout').send({ tier_code: 'ovg-meter', is_annual: false });
    expect(res.status).toBe(200);
    const [tier] = await t.db.query(`SELECT stripe_price_monthly_id, stripe_overage_price_id FROM subscription_tiers WHERE code = 'ovg-meter'`);
    const sent = double.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.params as { line_items: Array<{ price: string; quantity?: string }> };
    expect(sent.line_items).toEqual([{ price: tier.stripe_price_monthly_id, quantity: '1' }, { price: tier.stripe_overage_price_id }]);
    const { subscription } = double.completeCheckout(res.body.session_id);
    expect(subscription!.items.data.map((i) => i.price.id).sort()).toEqual([tier.stripe_price_monthly_id, tier.stripe_overage_price_id].sort());
    const synced = await api(t, v.token).post('/api/v1/vendor/billing/sync').send({});
    expect(synced.status).toBe(200);
    expect(synced.body.tier.code).toBe('ovg-meter');
  });

  /** A vendor on ovg-meter with `orders` placed; `onTierPrice`: its Stripe subscription is on the tier's own plan price. */
  async function overageVendor(orders: number, opts: { onTierPrice?: boolean } = {}) {
    const [{ stripe_price_monthly_id: tierPrice }] = await t.db.query(`SELECT stripe_price_monthly_id FROM subscription_tiers WHERE code = 'ovg-meter'`);
    const price = opts.onTierPrice ? double.state.prices.get(tierPrice)! : (await priceTheTiers(t, double)).essentialMonthly;
    const linked = await linkedVendor(t, double, price);
    await moveToTier(t, linked.vendor.vendorId, 'ovg-meter');
    // Its subscription carries the tier's metered price beside the plan, at Stripe and as last recorded.
    const [{ stripe_overage_price_id: metered }] = await t.db.query(`SELECT stripe_overage_price_id FROM subscription_tiers WHERE code = 'ovg-meter'`);
    await stripeClient(double).subscriptions.update(linked.subscription.id, { items: [{ price: metered }], proration_behavior: 'none' });
    await t.db.query(`UPDATE vendor_subscriptions SET stripe_item_price_ids = ARRAY[$2::text, $3::text] WHERE vendor_id = $1`, [linked.vendor.vendorId, price.id, metered]);
    for (let i = 0; i < orders; i++) expect((await api(t, linked.vendor.token).post('/api/v1/vendor/orders').send({ total_cents: 500 })).status).toBe(201);
    return linked;
  }

  const rows = (vendorId: number) =>
    t.db.query(`SELECT identifier, status, attempts, last_error, stripe_response FROM stripe_meter_events WHERE vendor_id = $1 ORDER BY id`, [vendorId]);
  const acceptedIdentifiers = (customer: string) =>
    double.state.meterEvents.filter((e) => e.event.payload.stripe_customer_id === customer).map((e) => e.event.identifier);
  const dueNow = (vendorId: number) => t.db.query(`UPDATE stripe_meter_events SET next_attempt_at = '-infinity' WHERE vendor_id = $1`, [vendorId]);

  it('sends each overage order once through a Stripe outage, retrying with back-off', async () => {
    const { vendor, customerId } = await overageVendor(5);
    // 4 overage orders; the first one's three attempts (the SDK retries a 500 twice) all fail.
    double.failNext({ method: 'POST', path: METER_EVENTS, status: 500, times: 3 });
    expect(await sender.sendDue()).toBe(4);
    let r = await rows(vendor.vendorId);
    expect(r.map((x: { status: string }) => x.status)).toEqual(['pending', 'sent', 'sent', 'sent']);
    expect(r[0].last_error).toMatch(/^500/);
    // Backed off: not due again yet.
    expect(await sender.sendDue()).toBe(0);
    await dueNow(vendor.vendorId);
    expect(await sender.sendDue()).toBe(1);
    r = await rows(vendor.vendorId);
    expect(r.map((x: { status: string }) => x.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(r[0]).toMatchObject({ attempts: 2, last_error: null });
    expect(r[1].stripe_response).toMatchObject({ object: 'billing.meter_event', event_name: OVERAGE_METER_EVENT_NAME, identifier: r[1].identifier, payload: { stripe_customer_id: customerId, value: '1' } });
    const sent = acceptedIdentifiers(customerId);
    expect(sent.sort()).toEqual(r.map((x: { identifier: string }) => x.identifier).sort());
    expect(meterUsage(double.state, customerId, OVERAGE_METER_EVENT_NAME)).toBe(4);
  });

  it('bills nothing twice when a worker died after Stripe accepted (the row still pending): Stripe dedupes the identifier', async () => {
    const { vendor, customerId } = await overageVendor(3);
    expect(await sender.sendDue()).toBe(2);
    // As if the worker was killed between Stripe's answer and recording it: the rows are pending, their lease run out.
    await t.db.query(`UPDATE stripe_meter_events SET status = 'pending', sent_at = NULL, leased_until = NULL, next_attempt_at = '-infinity' WHERE vendor_id = $1`, [vendor.vendorId]);
    expect(await sender.sendDue()).toBe(2);
    const r = await rows(vendor.vendorId);
    expect(r.map((x: { status: string }) => x.status)).toEqual(['sent', 'sent']);
    expect(r[0].stripe_response).toMatchObject({ duplicate: true, code: 'duplicate_meter_event' });
    expect(meterUsage(double.state, customerId, OVERAGE_METER_EVENT_NAME)).toBe(2);
    expect(acceptedIdentifiers(customerId)).toHaveLength(2);
  });

  it('starts a new period from zero when Stripe renews the subscription (signed webhooks)', async () => {
    const { vendor, subscription } = await overageVendor(1, { onTierPrice: true });
    await t.db.query(`UPDATE vendor_subscriptions SET overage_cap_mode = 'custom', overage_cap_cents = 300 WHERE vendor_id = $1`, [vendor.vendorId]);
    const order = () => api(t, vendor.token).post('/api/v1/vendor/orders').send({ total_cents: 500 });
    for (let i = 0; i < 3; i++) expect((await order()).body.overage).toBe(true);
    expect((await order()).body.details).toMatchObject({ overage_cap_reached: true });
    // Stripe's period ends: the renewal's events move the period and the order counter; the overage starts again.
    const renewal = double.renewSubscription(subscription.id);
    for (const event of renewal.events) expect((await deliver(t, double, event)).status).toBe(200);
    const sub = await api(t, vendor.token).get('/api/v1/vendor/billing/subscription');
    expect(sub.body.usage.orders).toMatchObject({ current: 0, overage: { count: 0, amount_cents: 0, cap_cents: 300 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await order()).status);
    expect(statuses).toEqual([201, 201, 201, 201, 403]);
    const [row] = await t.db.query(`SELECT orders_this_period, overage_orders, overage_amount_cents::int AS amount FROM vendor_subscriptions WHERE vendor_id = $1`, [vendor.vendorId]);
    expect(row).toEqual({ orders_this_period: 4, overage_orders: 3, amount: 300 });
    const [{ started }] = await t.db.query(`SELECT count(*)::int AS started FROM platform_events WHERE vendor_id = $1 AND type = 'usage.overage_started'`, [vendor.vendorId]);
    expect(started).toBe(2);
    expect(await sender.sendDue()).toBe(6);
  });

  it('two senders at once send each row exactly once', async () => {
    const { vendor, customerId } = await overageVendor(21);
    const before = double.requestsTo('POST', METER_EVENTS).length;
    const second = new MeterEventSenderService(t.app.get(ConfigService), t.app.get(Clock), t.app.get(StripeService), t.app.get<DataSource>(getDataSourceToken()));
    const [a, b] = await Promise.all([sender.sendDue(), second.sendDue()]);
    expect(a + b).toBe(20);
    expect(double.requestsTo('POST', METER_EVENTS).length - before).toBe(20);
    const r = await rows(vendor.vendorId);
    expect(r.every((x: { status: string; attempts: number }) => x.status === 'sent' && x.attempts === 1)).toBe(true);
    expect(new Set(acceptedIdentifiers(customerId)).size).toBe(20);
    expect(meterUsage(double.state, customerId, OVERAGE_METER_EVENT_NAME)).toBe(20);
  });
});
