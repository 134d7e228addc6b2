import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, eventRow, stripeClient } from '../webhooks/webhook-fixtures.js';
import { BILLING, sentSince, syncCatalog } from './billing-fixtures.js';

const HOLD_SECONDS = 60 * 60;

/** CONTRACT §5: a domain is held from the moment its Checkout is created until that Checkout expires. §6: a paid add-on that cannot be granted is recorded, never a 500. */
describe('billing: add-on domains held from Checkout', () => {
  const { t, double } = useStripeTestApp(ADMIN_ENV);
  let admin: string;

  beforeAll(async () => {
    await syncCatalog(t);
    admin = await adminToken(t);
  });
  afterEach(() => {
    t.clock.reset();
    double.setTime(null);
  });

  const purchase = (v: SignedUpVendor, domain: string, key?: string) => {
    const req = api(t, v.token).post(`${BILLING}/addons/purchase`);
    return (key ? req.set('Idempotency-Key', key) : req).send({ addon_code: 'domain', domain_name: domain });
  };
  const rowsOf = (domain: string) =>
    t.db.query(`SELECT vendor_id, status, stripe_checkout_session_id, hold_expires_at, attention_reason FROM vendor_add_ons WHERE domain_name = $1 ORDER BY id`, [domain]);

  /** Stripe's customer pays the session, and its checkout.session.completed reaches the webhook. */
  async function payAndDeliver(sessionId: string) {
    const { event, subscription } = double.completeCheckout(sessionId);
    const res = await deliver(t, double, event);
    return { event, subscription, res };
  }

  it('holds the domain for the first buyer while its Checkout is open: the second vendor gets 409 CONFLICT', async () => {
    const [a, b] = [await signUpVendor(t), await signUpVendor(t)];
    const from = double.requests.length;

    const first = await purchase(a, 'race-x.example.com');
    expect(first.status).toBe(200);
    const [sent] = sentSince(double, from, 'POST', '/v1/checkout/sessions');
    const expiresAt = Number(sent.params.expires_at);
    expect(expiresAt - Math.floor(Date.now() / 1000)).toBeGreaterThan(HOLD_SECONDS - 60);
    expect(expiresAt - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(HOLD_SECONDS);
    expect(double.state.sessions.get(first.body.session_id)!.expires_at).toBe(expiresAt);
    expect(await rowsOf('race-x.example.com')).toEqual([
      { vendor_id: a.vendorId, status: 'pending', stripe_checkout_session_id: first.body.session_id, hold_expires_at: new Date(expiresAt * 1000), attention_reason: null },
    ]);

    const before = double.requests.length;
    const second = await purchase(b, 'Race-X.example.com');
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error_code: 'CONFLICT', details: { field: 'domain_name' } });
    expect(sentSince(double, before, 'POST', '/v1/checkout/sessions')).toHaveLength(0);
    // An open Checkout is not an add-on yet.
    expect((await api(t, a.token).get(`${BILLING}/my-addons`)).body).toEqual([]);

    // A pays: its hold becomes the live add-on, and the domain stays refused to B.
    const { res, subscription } = await payAndDeliver(first.body.session_id);
    expect(res.status).toBe(200);
    expect(await rowsOf('race-x.example.com')).toEqual([
      { vendor_id: a.vendorId, status: 'active', stripe_checkout_session_id: first.body.session_id, hold_expires_at: null, attention_reason: null },
    ]);
    const [live] = await t.db.query(`SELECT stripe_subscription_id FROM vendor_add_ons WHERE domain_name = 'race-x.example.com'`);
    expect(live.stripe_subscription_id).toBe(subscription!.id);
    expect((await purchase(b, 'race-x.example.com')).status).toBe(409);
  });

  it('frees the domain once the first buyer\'s Checkout has expired at Stripe, and the second can buy it', async () => {
    const [a, b] = [await signUpVendor(t), await signUpVendor(t)];
    const first = await purchase(a, 'expiring.example.com');
    expect(first.status).toBe(200);
    expect((await purchase(b, 'expiring.example.com')).status).toBe(409);

    // An hour and a minute later, by the app's clock and Stripe's: A's Checkout has expired unpaid.
    t.clock.advance((HOLD_SECONDS + 60) * 1000);
    double.setTime(t.clock.now());
    const from = double.requests.length;
    const second = await purchase(b, 'expiring.example.com');

    expect(second.status).toBe(200);
    // Stripe was asked whether A's Checkout had really expired before its hold was dropped.
    expect(sentSince(double, from, 'GET', `/v1/checkout/sessions/${first.body.session_id}`)).toHaveLength(1);
    expect(await rowsOf('expiring.example.com')).toEqual([
      { vendor_id: b.vendorId, status: 'pending', stripe_checkout_session_id: second.body.session_id, hold_expires_at: expect.any(Date), attention_reason: null },
    ]);
    expect(() => double.completeCheckout(first.body.session_id)).toThrow(/expired/);
    const { res } = await payAndDeliver(second.body.session_id);
    expect(res.status).toBe(200);
    expect((await rowsOf('expiring.example.com')).map((r: { vendor_id: number; status: string }) => [r.vendor_id, r.status])).toEqual([[b.vendorId, 'active']]);
  });

  it('keeps a hold whose time is up when Stripe says its Checkout was paid (the webhook is late)', async () => {
    const [a, b] = [await signUpVendor(t), await signUpVendor(t)];
    const first = await purchase(a, 'late-hook.example.com');
    const { event } = double.completeCheckout(first.body.session_id); // paid in time; the webhook has not arrived
    t.clock.advance((HOLD_SECONDS + 60) * 1000);
    double.setTime(t.clock.now());

    expect((await purchase(b, 'late-hook.example.com')).status).toBe(409);

    expect((await deliver(t, double, event)).status).toBe(200);
    expect((await rowsOf('late-hook.example.com')).map((r: { vendor_id: number; status: string }) => [r.vendor_id, r.status])).toEqual([[a.vendorId, 'active']]);
  });

  it('gives exactly one of many concurrent buyers of a free domain a Checkout session', async () => {
    const vendors = await Promise.all(Array.from({ length: 6 }, () => signUpVendor(t)));
    const from = double.requests.length;

    const answers = await Promise.all(vendors.map((v) => purchase(v, 'race-free.example.com')));

    expect(answers.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    const winner = answers.find((r) => r.status === 200)!;
    const sessions = sentSince(double, from, 'POST', '/v1/checkout/sessions');
    expect(sessions).toHaveLength(1);
    expect(sessions[0].params.metadata).toMatchObject({ domain_name: 'race-free.example.com' });
    const rows = await rowsOf('race-free.example.com');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'pending', stripe_checkout_session_id: winner.body.session_id });
  });

  it('releases the hold when Stripe cannot open the Checkout', async () => {
    const [a, b] = [await signUpVendor(t), await signUpVendor(t)];
    double.failNext({ method: 'POST', path: '/v1/checkout/sessions', status: 500, times: 3 });

    const failed = await purchase(a, 'stripe-down.example.com');

    expect(failed.status).toBe(502);
    expect(await rowsOf('stripe-down.example.com')).toEqual([]);
    expect((await purchase(b, 'stripe-down.example.com')).status).toBe(200);
  });

  it('lets a vendor reopen Checkout for the domain it holds, and grants whichever of its sessions is paid', async () => {
    const a = await signUpVendor(t);
    // Two tabs, each with its own Idempotency-Key (without keys, the same request seconds later is a double click).
    const first = await purchase(a, 'two-tabs.example.com', 'tab-1');
    const second = await purchase(a, 'two-tabs.example.com', 'tab-2');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.session_id).not.toBe(first.body.session_id);
    expect(await rowsOf('two-tabs.example.com')).toEqual([expect.objectContaining({ status: 'pending', stripe_checkout_session_id: second.body.session_id })]);

    const { res } = await payAndDeliver(first.body.session_id);

    expect(res.status).toBe(200);
    expect(await rowsOf('two-tabs.example.com')).toEqual([expect.objectContaining({ vendor_id: a.vendorId, status: 'active', stripe_checkout_session_id: first.body.session_id })]);
  });

  it('answers a retried purchase with the same Idempotency-Key with the same Checkout session', async () => {
    const a = await signUpVendor(t);
    const send = () => api(t, a.token).post(`${BILLING}/addons/purchase`).set('Idempotency-Key', 'buy-domain-1').send({ addon_code: 'domain', domain_name: 'retried.example.com' });
    const first = await send();
    const again = await send();
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body.session_id).toBe(first.body.session_id);
    expect(await rowsOf('retried.example.com')).toEqual([expect.objectContaining({ vendor_id: a.vendorId, status: 'pending', stripe_checkout_session_id: first.body.session_id })]);
  });

  it('records a paid Checkout for a domain another vendor holds live as needs_attention: 200, listed for admins and the vendor, once', async () => {
    const [a, b] = [await signUpVendor(t), await signUpVendor(t)];
    const aSession = await purchase(a, 'race-y.example.com');
    expect((await payAndDeliver(aSession.body.session_id)).res.status).toBe(200);

    // B's Checkout for the same domain, opened behind the API's back (as before domains were held), and paid.
    const metadata = { vendor_id: String(b.vendorId), addon_code: 'domain', quantity: '1', domain_name: 'race-y.example.com' };
    const [{ stripe_price_id: price }] = await t.db.query(`SELECT stripe_price_id FROM add_on_products WHERE code = 'domain'`);
    const bSession = await stripeClient(double).checkout.sessions.create({
      mode: 'subscription', line_items: [{ price, quantity: 1 }], success_url: 'http://billing.test/ok', metadata, subscription_data: { metadata },
    });
    const { event, subscription, res } = await payAndDeliver(bSession.id);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true });
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'needs_attention', error: expect.stringContaining('race-y.example.com') });
    const listed = await api(t, admin).get('/api/v1/admin/webhook-events?status=needs_attention&limit=100');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ event_id: event.id, status: 'needs_attention', error: expect.stringContaining('held by another vendor') })]));
    const rows = await rowsOf('race-y.example.com');
    expect(rows.map((r: { vendor_id: number; status: string }) => [r.vendor_id, r.status])).toEqual([[a.vendorId, 'active'], [b.vendorId, 'needs_attention']]);
    expect(rows[1].attention_reason).toContain('held by another vendor');
    const platformEvents = () => t.db.query(`SELECT data FROM platform_events WHERE vendor_id = $1 AND type = 'addon.needs_attention'`, [b.vendorId]);
    expect(await platformEvents()).toEqual([{ data: { addon_code: 'domain', domain_name: 'race-y.example.com', checkout_session_id: bSession.id, reason: rows[1].attention_reason } }]);
    const [bRow] = await t.db.query(`SELECT id, stripe_subscription_id FROM vendor_add_ons WHERE vendor_id = $1`, [b.vendorId]);
    expect(bRow.stripe_subscription_id).toBe(subscription!.id);
    const mine = await api(t, b.token).get(`${BILLING}/my-addons`);
    expect(mine.body).toEqual([expect.objectContaining({ id: bRow.id, addon_code: 'domain', status: 'needs_attention', domain_name: 'race-y.example.com' })]);
    // The holder's list is its own: nothing of B's shows there.
    expect((await api(t, a.token).get(`${BILLING}/my-addons`)).body.map((x: { status: string }) => x.status)).toEqual(['active']);

    // Stripe delivers it again: a duplicate, no second row.
    const again = await deliver(t, double, event);
    expect(again.status).toBe(200);
    expect(await t.db.query(`SELECT id FROM vendor_add_ons WHERE vendor_id = $1`, [b.vendorId])).toHaveLength(1);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'needs_attention', attempts: 1 });

    // An admin's replay while A still holds the domain changes nothing (the refused write is undone alone).
    const early = await api(t, admin).post(`/api/v1/admin/webhook-events/${event.id}/replay`);
    expect(early.status).toBe(200);
    expect(early.body).toMatchObject({ status: 'needs_attention' });
    expect((await rowsOf('race-y.example.com')).map((r: { status: string }) => r.status)).toEqual(['active', 'needs_attention']);
    expect(await platformEvents()).toHaveLength(1); // once per Checkout session

    // Once the domain is free (A cancels), an admin's replay grants B what it paid for.
    const [aRow] = await t.db.query(`SELECT id FROM vendor_add_ons WHERE vendor_id = $1`, [a.vendorId]);
    expect((await api(t, a.token).delete(`${BILLING}/addons/${aRow.id}`)).status).toBe(200);
    const replay = await api(t, admin).post(`/api/v1/admin/webhook-events/${event.id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ status: 'processed' });
    expect((await api(t, b.token).get(`${BILLING}/my-addons`)).body).toEqual([expect.objectContaining({ id: bRow.id, status: 'active', domain_name: 'race-y.example.com' })]);
  });

  it('records a paid Checkout naming an unknown add-on as needs_attention, not a 500', async () => {
    const b = await signUpVendor(t);
    const [{ stripe_price_id: price }] = await t.db.query(`SELECT stripe_price_id FROM add_on_products WHERE code = 'email_5'`);
    const metadata = { vendor_id: String(b.vendorId), addon_code: 'retired_addon' };
    const session = await stripeClient(double).checkout.sessions.create({
      mode: 'subscription', line_items: [{ price, quantity: 1 }], success_url: 'http://billing.test/ok', metadata, subscription_data: { metadata },
    });

    const { event, res } = await payAndDeliver(session.id);

    expect(res.status).toBe(200);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'needs_attention', error: expect.stringContaining('unknown add-on "retired_addon"') });
    expect((await api(t, b.token).get(`${BILLING}/my-addons`)).body).toEqual([expect.objectContaining({ addon_code: 'retired_addon', status: 'needs_attention' })]);
  });

  it('frees the domain when Stripe reports the Checkout expired (checkout.session.expired)', async () => {
    const [a, b] = [await signUpVendor(t), await signUpVendor(t)];
    const first = await purchase(a, 'expired-event.example.com');
    expect((await purchase(b, 'expired-event.example.com')).status).toBe(409);

    await stripeClient(double).checkout.sessions.expire(first.body.session_id);
    const event = [...double.state.events.values()].find((e) => e.type === 'checkout.session.expired' && (e.data.object as { id: string }).id === first.body.session_id)!;
    const res = await deliver(t, double, event);

    expect(res.status).toBe(200);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'processed', error: expect.stringContaining('released the domain') });
    expect(await rowsOf('expired-event.example.com')).toEqual([]);
    expect((await purchase(b, 'expired-event.example.com')).status).toBe(200);
  });
});
