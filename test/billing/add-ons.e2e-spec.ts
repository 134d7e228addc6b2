import request from 'supertest';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { BILLING, sentSince, subscriptionRow, syncCatalog } from './billing-fixtures.js';

describe('billing: add-ons', () => {
  const { t, double } = useStripeTestApp();
  let addOnPrice: Record<string, string>;

  beforeAll(async () => {
    await syncCatalog(t);
    const rows: Array<{ code: string; stripe_price_id: string }> = await t.db.query(`SELECT code, stripe_price_id FROM add_on_products`);
    addOnPrice = Object.fromEntries(rows.map((r) => [r.code, r.stripe_price_id]));
  });

  /** The vendor buys `body` through Checkout and pays; Stripe's checkout.session.completed reaches the webhook. */
  async function buy(v: SignedUpVendor, body: Record<string, unknown>): Promise<{ id: number; subscriptionId: string }> {
    const res = await api(t, v.token).post(`${BILLING}/addons/purchase`).send(body);
    if (res.status !== 200) throw new Error(`purchase failed: ${res.status} ${JSON.stringify(res.body)}`);
    const { event, subscription } = double.completeCheckout(res.body.session_id);
    const { body: payload, signature } = double.signedPayload(event);
    const hook = await request(t.http).post('/api/v1/webhooks/stripe').set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(payload);
    if (hook.status !== 200) throw new Error(`webhook failed: ${hook.status}`);
    const [row] = await t.db.query(`SELECT id FROM vendor_add_ons WHERE stripe_subscription_id = $1`, [subscription!.id]);
    return { id: row.id, subscriptionId: subscription!.id };
  }

  it('lists the active add-on catalog', async () => {
    const v = await signUpVendor(t);
    const res = await api(t, v.token).get(`${BILLING}/addons`);
    expect(res.status).toBe(200);
    expect(res.body.map((a: { code: string }) => a.code)).toEqual(expect.arrayContaining(['domain', 'ssl_premium', 'email_5', 'email_10', 'email_25']));
    expect(res.body.find((a: { code: string }) => a.code === 'domain')).toEqual({
      id: expect.any(Number), code: 'domain', name: 'Custom Domain', description: expect.any(String), category: 'domain',
      price_cents: 1500, currency: 'eur', billing_period: 'year', requires_domain: true,
    });
  });

  it('opens Checkout for an add-on with its price, quantity and metadata', async () => {
    const v = await signUpVendor(t);
    const from = double.requests.length;
    const res = await api(t, v.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'email_5', quantity: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ checkout_url: expect.any(String), session_id: expect.stringMatching(/^cs_test_/) });
    const [sent] = sentSince(double, from, 'POST', '/v1/checkout/sessions');
    const metadata = { vendor_id: String(v.vendorId), addon_code: 'email_5', quantity: '2' };
    expect(sent.params).toMatchObject({
      mode: 'subscription', line_items: [{ price: addOnPrice.email_5, quantity: '2' }], metadata, subscription_data: { metadata },
      success_url: `http://billing.test/vendor/${v.code}/billing?checkout=success&addon=email_5&session_id={CHECKOUT_SESSION_ID}`,
    });
    expect(sent.idempotencyKey).toMatch(/^op:[0-9a-f-]{36}$/);
  });

  it('needs a valid domain_name for a domain add-on, stored lower-cased', async () => {
    const v = await signUpVendor(t);
    for (const body of [{ addon_code: 'domain' }, { addon_code: 'domain', domain_name: 'not a host' }, { addon_code: 'domain', domain_name: 'localhost' }, { addon_code: 'domain', domain_name: '10.0.0.1' }, { addon_code: 'domain', domain_name: '-bad-.com' }]) {
      const res = await api(t, v.token).post(`${BILLING}/addons/purchase`).send(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error_code: 'VALIDATION_FAILED', details: { errors: [{ field: 'domain_name' }] } });
    }
    const notForEmail = await api(t, v.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'email_5', domain_name: 'shop.example.com' });
    expect(notForEmail.status).toBe(400);

    const from = double.requests.length;
    const ok = await api(t, v.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'domain', domain_name: 'Shop.Example.COM.' });
    expect(ok.status).toBe(200);
    const [sent] = sentSince(double, from, 'POST', '/v1/checkout/sessions');
    expect(sent.params.metadata).toMatchObject({ addon_code: 'domain', domain_name: 'shop.example.com' });
  });

  it('answers CONFLICT for a domain another vendor holds, and NOT_FOUND for an unknown add-on', async () => {
    const holder = await signUpVendor(t);
    await buy(holder, { addon_code: 'domain', domain_name: 'taken-shop.com' });
    const v = await signUpVendor(t);
    const taken = await api(t, v.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'domain', domain_name: 'TAKEN-shop.com' });
    expect(taken.status).toBe(409);
    expect(taken.body.error_code).toBe('CONFLICT');
    const unknown = await api(t, v.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'hosting' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_code).toBe('NOT_FOUND');
  });

  it('shows a bought add-on in my-addons, and cancels it with its Stripe subscription', async () => {
    const v = await signUpVendor(t);
    const { id, subscriptionId } = await buy(v, { addon_code: 'domain', domain_name: 'my-shop.eu' });

    const mine = await api(t, v.token).get(`${BILLING}/my-addons`);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual([{
      id, addon_code: 'domain', addon_name: 'Custom Domain', status: 'active', domain_name: 'my-shop.eu', quantity: 1,
      period_start: expect.any(String), period_end: expect.any(String), cancelled_at: null,
    }]);

    const from = double.requests.length;
    const res = await api(t, v.token).delete(`${BILLING}/addons/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: expect.any(String), status: 'cancelled' });
    const [sent] = sentSince(double, from, 'DELETE', `/v1/subscriptions/${subscriptionId}`);
    expect(sent.idempotencyKey).toMatch(/^op:[0-9a-f-]{36}$/);
    expect(double.state.subscriptions.get(subscriptionId)!.status).toBe('canceled');
    const [row] = await t.db.query(`SELECT status, cancelled_at FROM vendor_add_ons WHERE id = $1`, [id]);
    expect(row.status).toBe('cancelled');
    expect(row.cancelled_at).toBeInstanceOf(Date);

    const again = await api(t, v.token).delete(`${BILLING}/addons/${id}`);
    expect(again.body).toEqual({ message: expect.any(String), status: 'cancelled' });
    expect(sentSince(double, from, 'DELETE', /.*/)).toHaveLength(1);

    // The domain is free again once its add-on is cancelled.
    const other = await signUpVendor(t);
    expect((await api(t, other.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'domain', domain_name: 'my-shop.eu' })).status).toBe(200);
  });

  it('answers 404 for another vendor\'s add-on and changes nothing', async () => {
    const owner = await signUpVendor(t);
    const { id, subscriptionId } = await buy(owner, { addon_code: 'ssl_premium' });
    const intruder = await signUpVendor(t);
    const from = double.requests.length;

    const res = await api(t, intruder.token).delete(`${BILLING}/addons/${id}`);

    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe('NOT_FOUND');
    expect(double.requests.length).toBe(from);
    expect(double.state.subscriptions.get(subscriptionId)!.status).toBe('active');
    expect((await t.db.query(`SELECT status FROM vendor_add_ons WHERE id = $1`, [id]))[0].status).toBe('active');
    expect((await api(t, intruder.token).get(`${BILLING}/my-addons`)).body).toEqual([]);
    expect((await api(t, intruder.token).delete(`${BILLING}/addons/999999`)).status).toBe(404);
    expect((await api(t, intruder.token).delete(`${BILLING}/addons/abc`)).body.error_code).toBe('VALIDATION_FAILED');
  });

  it('keeps the add-on active when Stripe fails to cancel it (502)', async () => {
    const v = await signUpVendor(t);
    const { id, subscriptionId } = await buy(v, { addon_code: 'email_10' });
    double.failNext({ method: 'DELETE', path: `/v1/subscriptions/${subscriptionId}`, status: 500, times: 3 });
    const res = await api(t, v.token).delete(`${BILLING}/addons/${id}`);
    expect(res.status).toBe(502);
    expect((await t.db.query(`SELECT status FROM vendor_add_ons WHERE id = $1`, [id]))[0].status).toBe('active');
  });

  it('POST /sync links the plan even when an add-on was bought after it, before any webhook', async () => {
    const v = await signUpVendor(t);
    const start = Date.now();
    double.setTime(new Date(start));
    const plan = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'professional', is_annual: false });
    expect(plan.status).toBe(200);
    const { subscription: planSubscription } = double.completeCheckout(plan.body.session_id);
    double.setTime(new Date(start + 60_000)); // the add-on's subscription is the customer's newest
    const addOn = await api(t, v.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'email_5' });
    double.completeCheckout(addOn.body.session_id);
    double.setTime(null);

    const sync = await api(t, v.token).post(`${BILLING}/sync`).send({});

    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({ tier: { code: 'professional' } });
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ stripe_subscription_id: planSubscription!.id });
  });

  it('POST /sync after an add-on purchase leaves the vendor\'s plan alone', async () => {
    const v = await signUpVendor(t);
    const res = await api(t, v.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'email_5' });
    double.completeCheckout(res.body.session_id); // paid; the webhook has not arrived yet

    const sync = await api(t, v.token).post(`${BILLING}/sync`).send({});

    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({ tier: { code: 'essential' }, status: 'trial' });
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ status: 'trial', stripe_subscription_id: null });
  });
});
