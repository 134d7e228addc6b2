import { reusesPlans } from '@app/database';
import Stripe from 'stripe';
import request from 'supertest';
import { signUpVendor } from '../factories/vendor.factory.js';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, eventRow, linkedVendor, priceTheTiers, stripeClient, subscriptionRow, unix, WEBHOOK_PATH, type TierPrices } from './webhook-fixtures.js';

describe('Stripe webhook delivery: verified, exactly once, in order, observable', () => {
  const { t, double } = useStripeTestApp(ADMIN_ENV);
  let prices: TierPrices;
  let admin: string;

  beforeAll(async () => {
    prices = await priceTheTiers(t, double);
    admin = await adminToken(t);
  });

  const duplicateCount = async () => {
    const text = (await request(t.http).get('/metrics')).text;
    return Number(/^stripe_webhook_events_total\{type="customer.subscription.updated",outcome="duplicate"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };
  const countEvents = async () => Number((await t.db.query(`SELECT count(*)::int AS n FROM stripe_webhook_events`))[0].n);

  it('refuses a missing, forged, stale or tampered signature and a body that is not an event, writing nothing', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.businessMonthly);
    const event = double.makeEvent('customer.subscription.updated', subscription);
    const good = double.signedPayload(event);
    const before = { events: await countEvents(), row: await subscriptionRow(t, vendor.vendorId) };
    const post = () => request(t.http).post(WEBHOOK_PATH).set('Content-Type', 'application/json');
    const notJson = 'this is { not json';
    const notEvent = JSON.stringify({ hello: 'world' });

    const answers = [
      await post().send(good.body),
      await post().set('Stripe-Signature', double.signedPayload(event, 'whsec_someone_else').signature).send(good.body),
      await post().set('Stripe-Signature', double.signedPayload(event, undefined, { timestamp: unix(new Date()) - 301 }).signature).send(good.body),
      await post().set('Stripe-Signature', good.signature).send(good.body.replace('"active"', '"canceled"')),
      await post().set('Stripe-Signature', Stripe.webhooks.generateTestHeaderString({ payload: notJson, secret: 'whsec_test_double' })).send(notJson),
      await post().set('Stripe-Signature', Stripe.webhooks.generateTestHeaderString({ payload: notEvent, secret: 'whsec_test_double' })).send(notEvent),
    ];

    for (const res of answers) {
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status_code: 400, error_code: 'VALIDATION_FAILED', message: expect.any(String) });
    }
    expect(answers[0].body.details.errors[0].field).toBe('stripe-signature');
    expect(answers[5].body.details.errors[0].field).toBe('body');
    expect(await countEvents()).toBe(before.events);
    expect(await subscriptionRow(t, vendor.vendorId)).toEqual(before.row);

    expect((await deliver(t, double, event)).status).toBe(200);
    expect(await countEvents()).toBe(before.events + 1);
  });

  it('answers a duplicate 200 without applying it again', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.professionalMonthly);
    const event = double.makeEvent('customer.subscription.updated', subscription);
    expect((await deliver(t, double, event)).status).toBe(200);
    await t.db.query(`UPDATE vendor_subscriptions SET tier_code = 'essential' WHERE vendor_id = $1`, [vendor.vendorId]);

    const again = await deliver(t, double, event);

    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: true });
    expect((await subscriptionRow(t, vendor.vendorId)).tier_code).toBe('essential');
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed', attempts: 1 });
  });

  it('applies 20 concurrent deliveries of one invoice.paid once: one history row, one counter reset', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.professionalMonthly);
    const start = subscription.items.data[0].current_period_start;
    await t.db.query(`UPDATE vendor_subscriptions SET orders_this_period = 37, period_start = $2, period_end = $3 WHERE vendor_id = $1`, [
      vendor.vendorId, new Date((start - 30 * 86_400) * 1000), new Date(start * 1000),
    ]);
    const invoice = double.createInvoice({ subscription: subscription.id, billing_reason: 'subscription_cycle' });
    const event = double.makeEvent('invoice.paid', invoice);
    const { body, signature } = double.signedPayload(event);

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(t.http).post(WEBHOOK_PATH).set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(body)),
    );

    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await t.db.query(`SELECT count(*)::int AS n FROM billing_history WHERE stripe_invoice_id = $1`, [invoice.id])).toEqual([{ n: 1 }]);
    const row = await subscriptionRow(t, vendor.vendorId);
    expect(row.orders_this_period).toBe(0);
    expect(unix(row.period_start)).toBe(start);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed', attempts: 1 });

    // The vendor takes orders in the new period; a late redelivery of the same invoice must not reset them again.
    await t.db.query(`UPDATE vendor_subscriptions SET orders_this_period = 5 WHERE vendor_id = $1`, [vendor.vendorId]);
    const late = double.makeEvent('invoice.paid', invoice);
    expect((await deliver(t, double, late)).status).toBe(200);
    expect((await subscriptionRow(t, vendor.vendorId)).orders_this_period).toBe(5);
  });

  it('applies 10 concurrent deliveries of one subscription update once, without asking Stripe', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.essentialMonthly);
    const event = double.makeEvent('customer.subscription.updated', double.updateSubscriptionState(subscription.id, { price: prices.businessMonthly.id }));
    const { body, signature } = double.signedPayload(event);
    const duplicatesBefore = await duplicateCount();
    const readsBefore = double.requestsTo('GET', '/v1/subscriptions/').length;

    const answers = await Promise.all(
      Array.from({ length: 10 }, () => request(t.http).post(WEBHOOK_PATH).set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(body)),
    );

    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed', attempts: 1 });
    expect(await subscriptionRow(t, vendor.vendorId)).toMatchObject({ tier_code: 'business' });
    expect((await duplicateCount()) - duplicatesBefore).toBe(9);
    // Directly on the server the webhook statements keep their plans (named); behind PgBouncer they are unnamed.
    expect(reusesPlans(t.db)).toBe(!t.pgbouncer);
    // A delivery that waited for the first one finds the row at the event's own second: that is the event done,
    // not a same-second tie to settle by reading Stripe (a tie's re-read would 500 while Stripe is unreachable).
    expect(double.requestsTo('GET', '/v1/subscriptions/').length).toBe(readsBefore);
  });

  it('rolls a failing handler back, records the event failed and answers 500; the redelivery processes it', async () => {
    const vendor = await signUpVendor(t);
    const session = await stripeClient(double).checkout.sessions.create({
      mode: 'subscription', line_items: [{ price: prices.professionalMonthly.id, quantity: 1 }], success_url: 'http://billing.test/ok',
      metadata: { vendor_id: String(vendor.vendorId), tier_code: 'professional' },
    });
    const { event, subscription } = double.completeCheckout(session.id);
    const before = await subscriptionRow(t, vendor.vendorId);
    // The app's SDK retries twice: three failures make the re-read fail for good.
    double.failNext({ method: 'GET', path: '/v1/subscriptions/', status: 500, times: 3 });

    const failed = await deliver(t, double, event);

    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ status_code: 500, error_code: 'INTERNAL_ERROR', details: { event_id: event.id } });
    expect(double.pendingFailures).toBe(0);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'failed', attempts: 1, processed_at: null, error: expect.stringContaining('PAYMENT_PROVIDER_ERROR') });
    expect(await subscriptionRow(t, vendor.vendorId)).toEqual(before);

    const retried = await deliver(t, double, event);

    expect(retried.status).toBe(200);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed', attempts: 2, error: null });
    expect(await subscriptionRow(t, vendor.vendorId)).toMatchObject({ stripe_subscription_id: subscription!.id, tier_code: 'professional', status: 'active' });
  });

  it('keeps the newer state when an older customer.subscription.updated arrives after a newer one', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.essentialMonthly);
    const t0 = unix(new Date()) - 600;
    const older = double.makeEvent('customer.subscription.updated', double.updateSubscriptionState(subscription.id, { price: prices.professionalMonthly.id }), { created: t0 });
    const newer = double.makeEvent('customer.subscription.updated', double.updateSubscriptionState(subscription.id, { price: prices.businessMonthly.id }), { created: t0 + 10 });

    expect((await deliver(t, double, newer)).status).toBe(200);
    expect((await deliver(t, double, older)).status).toBe(200);

    // The older event carries another plan than the row's: it is settled by Stripe's subscription as it is now
    // (business), never by its own older state (see test/webhooks/stale-plan-change for why it is not just skipped).
    const row = await subscriptionRow(t, vendor.vendorId);
    expect(row.tier_code).toBe('business');
    expect(unix(row.stripe_watermark)).toBeGreaterThanOrEqual(t0 + 10);
    expect(await eventRow(t, older.id)).toMatchObject({ status: 'processed', error: expect.stringContaining('settled by a re-read') });
  });

  it('never lets a late subscription update undo a renewal (the period only moves forward, the counter resets once)', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.professionalMonthly);
    const firstEnd = subscription.items.data[0].current_period_end;
    const t0 = unix(new Date()) - 900;
    await deliver(t, double, double.makeEvent('customer.subscription.updated', subscription, { created: t0 }));
    await t.db.query(`UPDATE vendor_subscriptions SET orders_this_period = 9 WHERE vendor_id = $1`, [vendor.vendorId]);
    const beforeRenewal = structuredClone(double.updateSubscriptionState(subscription.id, { cancel_at_period_end: true }));
    const renewed = double.updateSubscriptionState(subscription.id, { cancel_at_period_end: false, current_period_start: firstEnd, current_period_end: firstEnd + 30 * 86_400 });

    await deliver(t, double, double.makeEvent('customer.subscription.updated', renewed, { created: t0 + 20 }));
    await t.db.query(`UPDATE vendor_subscriptions SET orders_this_period = 3 WHERE vendor_id = $1`, [vendor.vendorId]);
    // Created before the renewal but after the last one applied before it, delivered late: it is not older than
    // the first event, yet must not move the period back (and the next renewal event must not reset again).
    await t.db.query(`UPDATE vendor_subscriptions SET stripe_watermark = to_timestamp($2) WHERE vendor_id = $1`, [vendor.vendorId, t0]);
    await deliver(t, double, double.makeEvent('customer.subscription.updated', beforeRenewal, { created: t0 + 10 }));
    await deliver(t, double, double.makeEvent('customer.subscription.updated', renewed, { created: t0 + 30 }));

    const row = await subscriptionRow(t, vendor.vendorId);
    expect(unix(row.period_start)).toBe(firstEnd);
    expect(row.orders_this_period).toBe(3);
  });

  it('settles two events of the same second by the subscription as Stripe holds it now', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.essentialMonthly);
    const second = unix(new Date()) - 300;
    const first = double.makeEvent('customer.subscription.updated', double.updateSubscriptionState(subscription.id, { price: prices.businessMonthly.id }), { created: second });
    expect((await deliver(t, double, first)).status).toBe(200);
    // The stale one of the same second says professional; Stripe now says business, annual cancellation pending.
    const stale = structuredClone(first.data.object) as typeof subscription;
    stale.items.data[0].price = structuredClone(prices.professionalMonthly);
    double.updateSubscriptionState(subscription.id, { cancel_at_period_end: true });
    const tie = double.makeEvent('customer.subscription.updated', stale, { created: second });
    const reads = double.requestsTo('GET', `/v1/subscriptions/${subscription.id}`).length;

    expect((await deliver(t, double, tie)).status).toBe(200);

    expect(await subscriptionRow(t, vendor.vendorId)).toMatchObject({ tier_code: 'business', cancel_at_period_end: true });
    expect(double.requestsTo('GET', `/v1/subscriptions/${subscription.id}`).length).toBe(reads + 1);
    expect(await eventRow(t, tie.id)).toMatchObject({ status: 'processed', error: expect.stringContaining('same-second tie') });
  });

  it('lists recent events for admins, filtered by status and type', async () => {
    const stranger = double.createSubscription({ price: prices.professionalMonthly.id });
    const ignoredEvent = double.makeEvent('customer.subscription.updated', stranger);
    await deliver(t, double, ignoredEvent);

    const all = await api(t, admin).get('/api/v1/admin/webhook-events?limit=100');
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThan(3);
    expect(all.body.items[0]).toMatchObject({ event_id: ignoredEvent.id, type: 'customer.subscription.updated', status: 'ignored', attempts: 1, error: expect.any(String), received_at: expect.any(String), processed_at: expect.any(String) });

    const failed = await api(t, admin).get('/api/v1/admin/webhook-events?status=ignored&type=customer.subscription.updated&limit=5');
    expect(failed.body.items.length).toBeGreaterThan(0);
    expect(failed.body.items.every((e: { status: string; type: string }) => e.status === 'ignored' && e.type === 'customer.subscription.updated')).toBe(true);

    expect((await api(t, admin).get('/api/v1/admin/webhook-events?status=bogus')).status).toBe(400);
    const vendor = await signUpVendor(t);
    expect((await api(t, vendor.token).get('/api/v1/admin/webhook-events')).status).toBe(403);
  });

  it('replays a stored ignored event once the vendor is known; 409 once processed, 404 for an unknown id', async () => {
    const { vendor, subscription, customerId } = await linkedVendor(t, double, prices.businessMonthly, { link: false });
    const bare = double.updateSubscriptionState(subscription.id, { metadata: {} });
    const event = double.makeEvent('customer.subscription.updated', bare);
    await deliver(t, double, event);
    expect((await eventRow(t, event.id)).status).toBe('ignored');
    await t.db.query(`UPDATE vendor_subscriptions SET stripe_customer_id = $2 WHERE vendor_id = $1`, [vendor.vendorId, customerId]);

    const replay = await api(t, admin).post(`/api/v1/admin/webhook-events/${event.id}/replay`);

    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ event_id: event.id, status: 'processed', attempts: 2, error: null });
    expect(await subscriptionRow(t, vendor.vendorId)).toMatchObject({ tier_code: 'business', stripe_subscription_id: subscription.id });

    const again = await api(t, admin).post(`/api/v1/admin/webhook-events/${event.id}/replay`);
    expect(again.status).toBe(409);
    expect(again.body.error_code).toBe('CONFLICT');
    expect((await api(t, admin).post('/api/v1/admin/webhook-events/evt_nothing_here/replay')).status).toBe(404);
  });

  it('counts events by type and outcome on /metrics', async () => {
    const res = await request(t.http).get('/metrics');
    expect(res.status).toBe(200);
    const line = (labels: string) => new RegExp(`^stripe_webhook_events_total\\{${labels}\\} ([0-9]+)$`, 'm');
    const count = (labels: string) => Number(line(labels).exec(res.text)?.[1] ?? 0);
    expect(count('type="invoice.paid",outcome="processed"')).toBeGreaterThanOrEqual(1);
    expect(count('type="invoice.paid",outcome="duplicate"')).toBeGreaterThanOrEqual(19);
    expect(count('type="customer.subscription.updated",outcome="ignored"')).toBeGreaterThanOrEqual(1);
    expect(count('type="checkout.session.completed",outcome="failed"')).toBe(1);
    expect(count('type="unknown",outcome="invalid_signature"')).toBeGreaterThanOrEqual(5);
    expect(res.text).toContain('stripe_webhook_processing_seconds_bucket');
  });
});
