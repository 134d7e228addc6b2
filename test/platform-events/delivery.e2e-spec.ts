import { randomUUID } from 'node:crypto';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { ADMIN_ENV, adminToken, insertTier, moveToTier } from '../limits/limits.helpers.js';
import { startStripeDouble, stripeEnv, type StripeDouble } from '../stripe-double/stripe-double.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { deliver, linkedVendor, priceTheTiers } from '../webhooks/webhook-fixtures.js';
import { startWorkerContext, type WorkerContext } from '../worker/worker-context.js';
import { RECEIVER_SECRET, TestReceiver, verifyDelivery } from './receiver.js';

// Long enough for a loaded CI machine to answer; the hung receiver is cut off after it.
const TIMEOUT_MS = 2000;

/** The API writes, a worker (its delivery loop running) delivers to a real HTTP receiver on loopback. */
describe('platform events: delivery to the platform receiver, signed as Standard Webhooks', () => {
  let t: TestApp;
  let w: WorkerContext;
  let double: StripeDouble;
  let receiver: TestReceiver;
  let admin: string;

  beforeAll(async () => {
    receiver = new TestReceiver();
    const url = await receiver.start();
    double = await startStripeDouble();
    t = await createTestApp({
      ...ADMIN_ENV, ...stripeEnv(double),
      PLATFORM_WEBHOOK_URL: url, PLATFORM_WEBHOOK_SECRET: RECEIVER_SECRET, PLATFORM_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS), PLATFORM_EVENTS_POLL_MS: '50',
    });
    w = await startWorkerContext({ scheduler: true });
    admin = await adminToken(t);
    await insertTier(t, 'alerts', { products: 10, orders: 10, team: 5 });
  });
  afterAll(async () => {
    await w.close();
    await t.close();
    await receiver.close();
    await double.close();
  });
  beforeEach(() => {
    receiver.behaviour = 200;
    w.clock.reset();
  });

  async function vendorOnAlerts(): Promise<SignedUpVendor> {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, 'alerts');
    return v;
  }
  const idsOf = async (vendorId: number): Promise<string[]> =>
    (await t.db.query(`SELECT public_id FROM platform_events WHERE vendor_id = $1 ORDER BY id`, [vendorId])).map((r: { public_id: string }) => r.public_id);
  const acceptedOf = (vendorId: number) => receiver.accepted.filter((r) => r.vendor_id === vendorId);

  it('delivers each event type, signed, with the body of the contract', async () => {
    const usage = await vendorOnAlerts();
    for (let i = 0; i < 8; i++) await api(t, usage.token).post('/api/v1/vendor/orders').send({ total_cents: 1 });

    const trial = await signUpVendor(t);
    await t.db.query(`UPDATE vendor_subscriptions SET trial_ends_at = now() + interval '2 days' WHERE vendor_id = $1`, [trial.vendorId]);
    expect(await w.run('record-trial-endings')).toMatchObject({ status: 'succeeded' });
    expect(await w.run('record-trial-endings')).toMatchObject({ status: 'succeeded', rowsAffected: 0 }); // once per trial end

    const prices = await priceTheTiers(t, double);
    const { vendor: payer, subscription } = await linkedVendor(t, double, prices.professionalMonthly);
    const invoice = double.createInvoice({ subscription: subscription.id, billing_reason: 'subscription_cycle', status: 'open', amount_paid: 0 });
    invoice.attempt_count = 1;
    expect((await deliver(t, double, double.makeEvent('invoice.payment_failed', invoice))).status).toBe(200);

    const addon = await signUpVendor(t);
    // A paid Checkout for an add-on that does not exist: recorded needs_attention, and the platform is told.
    const paidForNothing = { id: 'cs_test_1', object: 'checkout.session', mode: 'payment', status: 'complete', payment_status: 'paid', customer: null, subscription: null,
      metadata: { vendor_id: String(addon.vendorId), addon_code: 'custom_domain', domain_name: 'Shop.Example' } };
    expect((await deliver(t, double, double.makeEvent('checkout.session.completed', paidForNothing))).status).toBe(200);

    await receiver.waitFor(() =>
      acceptedOf(usage.vendorId).some((r) => r.type === 'usage.threshold_reached') && acceptedOf(trial.vendorId).length === 1 &&
      acceptedOf(payer.vendorId).some((r) => r.type === 'payment.failed') && acceptedOf(addon.vendorId).length === 1);

    const byType = (vendorId: number, type: string) => acceptedOf(vendorId).find((r) => r.type === type)!;
    for (const r of receiver.received) expect(r).toMatchObject({ verified: true, webhook: { refusal: null, headers: { 'webhook-id': r.id } } });
    const threshold = byType(usage.vendorId, 'usage.threshold_reached');
    expect(threshold).toMatchObject({ vendor_id: usage.vendorId, data: { meter: 'orders', threshold: 80, current: 8, limit: 10 } });
    expect(Object.keys(JSON.parse(threshold.webhook.raw)).sort()).toEqual(['created_at', 'data', 'id', 'type', 'vendor_id']);
    expect(new Date(threshold.created_at).toISOString()).toBe(threshold.created_at);
    expect(byType(usage.vendorId, 'subscription.updated').data).toEqual({ tier_code: 'alerts', status: 'active', cancel_at_period_end: false, previous: { tier_code: 'essential', status: 'trial' } });
    expect(byType(trial.vendorId, 'trial.ending').data).toEqual({ trial_ends_at: expect.stringMatching(/Z$/), has_payment_method: false });
    expect(byType(payer.vendorId, 'payment.failed').data).toEqual({ invoice_id: invoice.id, amount_due_cents: invoice.amount_due, attempt_count: 1, next_payment_attempt: null });
    expect(byType(payer.vendorId, 'subscription.updated').data).toMatchObject({ status: 'past_due' });
    expect(byType(addon.vendorId, 'addon.needs_attention').data).toEqual({ addon_code: 'custom_domain', domain_name: 'shop.example', checkout_session_id: 'cs_test_1', reason: 'checkout session cs_test_1: unknown add-on "custom_domain"' });

    await receiver.waitFor(() => acceptedOf(usage.vendorId).length === 2);
    await waitUntil(async () => (await t.db.query(`SELECT status FROM platform_events WHERE public_id = $1`, [threshold.id]))[0].status === 'delivered');
    const [row] = await t.db.query(`SELECT status, attempts, delivered_at FROM platform_events WHERE public_id = $1`, [threshold.id]);
    expect(row).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('delivers each vendor\'s events once and in the order they were committed, vendors side by side', async () => {
    const vendors = await Promise.all([vendorOnAlerts(), vendorOnAlerts(), vendorOnAlerts()]);
    await Promise.all(vendors.map(async (v) => {
      for (let i = 0; i < 6; i++) {
        await t.db.query(`UPDATE vendor_subscriptions SET status = $2 WHERE vendor_id = $1`, [v.vendorId, i % 2 === 0 ? 'past_due' : 'active']);
        await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 });
      }
    }));
    for (const v of vendors) {
      const ids = await idsOf(v.vendorId);
      await receiver.waitFor(() => acceptedOf(v.vendorId).length >= ids.length);
      expect(acceptedOf(v.vendorId).map((r) => r.id)).toEqual(ids);
    }
  });

  it('holds a vendor\'s later events while an earlier one is failing, and keeps others moving', async () => {
    const [stuck, other] = await Promise.all([vendorOnAlerts(), vendorOnAlerts()]);
    await receiver.waitFor(() => acceptedOf(stuck.vendorId).length === 1 && acceptedOf(other.vendorId).length === 1);
    receiver.behaviour = (e) => (e.vendor_id === stuck.vendorId ? 500 : 200);
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'past_due' WHERE vendor_id = $1`, [stuck.vendorId]);
    await receiver.waitFor(() => receiver.received.some((r) => r.vendor_id === stuck.vendorId && r.answered === 500));
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'active' WHERE vendor_id = $1`, [stuck.vendorId]);
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'past_due' WHERE vendor_id = $1`, [other.vendorId]);
    await receiver.waitFor(() => acceptedOf(other.vendorId).length === 2);
    // The other vendor's later event went out; the stuck vendor's second one did not overtake its first.
    expect(receiver.received.filter((r) => r.vendor_id === stuck.vendorId).map((r) => r.data.status)).toEqual(['active', 'past_due']);

    receiver.behaviour = 200;
    w.clock.advance(10 * 60_000); // past the back-off
    await receiver.waitFor(() => acceptedOf(stuck.vendorId).length === 3);
    expect(acceptedOf(stuck.vendorId).map((r) => r.id)).toEqual(await idsOf(stuck.vendorId));
  });

  it('retries through a 500 and a timeout until the receiver recovers: none lost, a repeat only with the same id', async () => {
    const vendors = await Promise.all([vendorOnAlerts(), vendorOnAlerts()]);
    const ids = (await Promise.all(vendors.map((v) => idsOf(v.vendorId)))).flat();
    // These were delivered on the move; new events while the receiver is down.
    await receiver.waitFor(() => ids.every((id) => receiver.accepted.some((r) => r.id === id)));
    receiver.behaviour = 500;
    for (const v of vendors) await t.db.query(`UPDATE vendor_subscriptions SET cancel_at_period_end = true WHERE vendor_id = $1`, [v.vendorId]);
    const fresh = (await Promise.all(vendors.map((v) => idsOf(v.vendorId)))).flat().filter((id) => !ids.includes(id));
    expect(fresh).toHaveLength(2);
    const attemptsOf = (id: string) => receiver.received.filter((r) => r.id === id).length;
    await receiver.waitFor(() => fresh.every((id) => attemptsOf(id) === 1));
    await waitUntil(async () => (await t.db.query(`SELECT count(*)::int AS n FROM platform_events WHERE public_id = ANY($1) AND last_error = 'HTTP 500'`, [fresh]))[0].n === 2);
    let listed = await api(t, admin).get(`/api/v1/admin/platform-events?vendor_id=${vendors[0].vendorId}&status=pending`);
    expect(listed.body.items[0]).toMatchObject({ attempts: 1, last_error: 'HTTP 500', next_attempt_at: expect.any(String) });

    receiver.behaviour = 'hang';
    w.clock.advance(60 * 60_000);
    await receiver.waitFor(() => fresh.every((id) => attemptsOf(id) === 2));
    await waitUntil(async () => (await t.db.query(`SELECT count(*)::int AS n FROM platform_events WHERE public_id = ANY($1) AND last_error LIKE 'timeout%'`, [fresh]))[0].n === 2);
    listed = await api(t, admin).get(`/api/v1/admin/platform-events?vendor_id=${vendors[0].vendorId}&status=pending`);
    expect(listed.body.items[0]).toMatchObject({ attempts: 2, last_error: `timeout after ${TIMEOUT_MS} ms` });

    receiver.behaviour = 200;
    w.clock.advance(2 * 60 * 60_000);
    await receiver.waitFor(() => fresh.every((id) => receiver.accepted.some((r) => r.id === id)));
    // The receiver answers before the worker records the answer.
    await waitUntil(async () => (await t.db.query(`SELECT count(*)::int AS n FROM platform_events WHERE public_id = ANY($1) AND status = 'delivered'`, [fresh]))[0].n === 2);
    const rows = await t.db.query(`SELECT status, attempts FROM platform_events WHERE public_id = ANY($1)`, [fresh]);
    expect(rows).toEqual([{ status: 'delivered', attempts: 3 }, { status: 'delivered', attempts: 3 }]);
    // Every request the receiver got was one of the events, each accepted exactly once.
    for (const id of fresh) expect(receiver.accepted.filter((r) => r.id === id)).toHaveLength(1);
  });

  it('gives up after three days of failures (failed, listed, counted), and an admin can send it again', async () => {
    const v = await vendorOnAlerts();
    await receiver.waitFor(() => acceptedOf(v.vendorId).length === 1);
    receiver.behaviour = 503;
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'past_due' WHERE vendor_id = $1`, [v.vendorId]);
    const [id] = (await idsOf(v.vendorId)).slice(-1);
    await receiver.waitFor(() => receiver.received.some((r) => r.id === id));
    w.clock.advance(4 * 86_400_000);
    await waitUntil(async () => (await t.db.query(`SELECT status FROM platform_events WHERE public_id = $1`, [id]))[0].status === 'failed');
    const failed = await api(t, admin).get(`/api/v1/admin/platform-events?vendor_id=${v.vendorId}&status=failed`);
    expect(failed.body.items).toEqual([expect.objectContaining({ id, status: 'failed', last_error: 'HTTP 503' })]);
    expect((await api(t, admin).get('/metrics')).text).toMatch(/^platform_events_failed_total [1-9]/m);

    receiver.behaviour = 200;
    expect((await api(t, admin).post(`/api/v1/admin/platform-events/${id}/redeliver`)).body).toMatchObject({ id, status: 'pending' });
    await receiver.waitFor(() => acceptedOf(v.vendorId).some((r) => r.id === id));
    const metrics = (await api(t, admin).get('/metrics')).text;
    expect(metrics).toMatch(/^platform_events_delivered_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^platform_event_delivery_failures_total [1-9]\d*$/m);
  });

  it('signs each attempt at its own time: a retry after a failure carries a new timestamp and a valid signature; a tampered body fails', async () => {
    const v = await vendorOnAlerts();
    await receiver.waitFor(() => acceptedOf(v.vendorId).length === 1);
    receiver.behaviour = 500;
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'past_due' WHERE vendor_id = $1`, [v.vendorId]);
    const [id] = (await idsOf(v.vendorId)).slice(-1);
    await waitUntil(async () => (await t.db.query(`SELECT last_error FROM platform_events WHERE public_id = $1`, [id]))[0].last_error === 'HTTP 500');
    const first = receiver.received.find((r) => r.id === id)!;
    // Timestamps are whole seconds of the wall clock: let it pass the first attempt's second, then move the
    // worker's clock past the back-off, so the retry is certainly signed in a later second.
    while (Math.floor(Date.now() / 1000) <= first.webhook.timestamp) await new Promise((r) => setTimeout(r, 50));
    receiver.behaviour = 200;
    w.clock.advance(10 * 60_000);
    await receiver.waitFor(() => acceptedOf(v.vendorId).some((r) => r.id === id));
    const retry = acceptedOf(v.vendorId).find((r) => r.id === id)!;

    expect(first).toMatchObject({ verified: true, answered: 500 });
    expect(retry).toMatchObject({ verified: true, answered: 200 });
    expect(retry.webhook.headers['webhook-id']).toBe(id);
    expect(retry.webhook.raw).toBe(first.webhook.raw); // the same body, signed again
    expect(retry.webhook.timestamp).toBeGreaterThan(first.webhook.timestamp);
    expect(Math.abs(retry.webhook.timestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(retry.webhook.headers['webhook-signature']).not.toBe(first.webhook.headers['webhook-signature']);

    // What the verifier refuses: a changed body, another id, the first attempt's signature on the retry's time.
    expect(verifyDelivery(retry.webhook.raw.replace('"past_due"', '"active"'), retry.webhook.headers)).toMatch(/No matching signature/);
    expect(verifyDelivery(retry.webhook.raw, { ...retry.webhook.headers, 'webhook-id': randomUUID() })).toMatch(/No matching signature/);
    expect(verifyDelivery(retry.webhook.raw, { ...retry.webhook.headers, 'webhook-signature': first.webhook.headers['webhook-signature'] })).toMatch(/No matching signature/);
    expect(verifyDelivery(retry.webhook.raw, retry.webhook.headers, `whsec_${Buffer.alloc(32, 1).toString('base64')}`)).toMatch(/No matching signature/);
  });

  it('sends nothing for a refused order', async () => {
    const v = await vendorOnAlerts();
    await t.db.query(`UPDATE vendor_subscriptions SET orders_this_period = 10 WHERE vendor_id = $1`, [v.vendorId]);
    expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 })).body.error_code).toBe('TIER_LIMIT_EXCEEDED');
    // A later event of the vendor arrives; in order, so anything the refusal wrote would have come first.
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'past_due' WHERE vendor_id = $1`, [v.vendorId]);
    await receiver.waitFor(() => acceptedOf(v.vendorId).length === 2);
    expect(receiver.received.filter((r) => r.vendor_id === v.vendorId).map((r) => r.type)).toEqual(['subscription.updated', 'subscription.updated']);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
