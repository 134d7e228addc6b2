import { signUpVendor } from '../factories/vendor.factory.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { BILLING, endTrial, sentSince, subscribedVendor, subscriptionRow, syncCatalog, type TierPriceIds } from './billing-fixtures.js';

describe('billing: Checkout, customer, Portal and sync', () => {
  // A short timeout so the "Stripe does not answer" test is quick; the SDK still retries twice.
  const { t, double } = useStripeTestApp({ STRIPE_TIMEOUT_MS: '400' });
  let prices: TierPriceIds;

  beforeAll(async () => {
    prices = await syncCatalog(t);
  });

  it('opens Checkout for a tier with its monthly price, metadata, return URLs and the remaining trial', async () => {
    const v = await signUpVendor(t);
    const from = double.requests.length;

    const res = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'professional', is_annual: false });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ checkout_url: expect.stringMatching(/^https:\/\/checkout\.stripe\.test\//), session_id: expect.stringMatching(/^cs_test_/) });
    const row = await subscriptionRow(t, v.vendorId);
    expect(row).toMatchObject({ tier_code: 'essential', status: 'trial', stripe_customer_id: expect.stringMatching(/^cus_/) });

    const [customer] = sentSince(double, from, 'POST', '/v1/customers');
    expect(customer.idempotencyKey).toMatch(new RegExp(`^customer:vendor:${v.vendorId}:\\d+$`));
    expect(customer.params).toMatchObject({ email: v.email, metadata: { vendor_id: String(v.vendorId), vendor_code: v.code } });
    expect(double.state.customers.get(row.stripe_customer_id)?.metadata.vendor_id).toBe(String(v.vendorId));

    const [session] = sentSince(double, from, 'POST', '/v1/checkout/sessions');
    const metadata = { vendor_id: String(v.vendorId), tier_code: 'professional', is_annual: 'false' };
    expect(session.params).toMatchObject({
      mode: 'subscription',
      customer: row.stripe_customer_id,
      client_reference_id: String(v.vendorId),
      line_items: [{ price: prices.professional.month, quantity: '1' }],
      success_url: `http://billing.test/vendor/${v.code}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `http://billing.test/vendor/${v.code}/billing?checkout=cancelled`,
      metadata,
      subscription_data: { metadata, trial_end: String(Math.floor(row.trial_ends_at.getTime() / 1000)) },
    });
    expect(session.params.automatic_tax).toBeUndefined();
    expect(session.idempotencyKey).toMatch(/^op:[0-9a-f-]{36}$/);
  });

  it('uses the annual price, and no trial once the trial is over', async () => {
    const v = await signUpVendor(t);
    await endTrial(t, v.vendorId);
    const from = double.requests.length;

    const res = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'business', is_annual: true });

    expect(res.status).toBe(200);
    const [session] = sentSince(double, from, 'POST', '/v1/checkout/sessions');
    expect(session.params.line_items).toEqual([{ price: prices.business.year, quantity: '1' }]);
    expect((session.params.subscription_data as Record<string, unknown>).trial_end).toBeUndefined();
  });

  it('does not carry over a trial that ends within 48 hours (Stripe refuses such a trial_end)', async () => {
    const v = await signUpVendor(t);
    await t.db.query(`UPDATE vendor_subscriptions SET trial_ends_at = $2 WHERE vendor_id = $1`, [v.vendorId, new Date(Date.now() + 24 * 3_600_000)]);
    const from = double.requests.length;
    expect((await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'essential', is_annual: false })).status).toBe(200);
    const [session] = sentSince(double, from, 'POST', '/v1/checkout/sessions');
    expect((session.params.subscription_data as Record<string, unknown>).trial_end).toBeUndefined();
  });

  it('answers the same session for a retried request with the same Idempotency-Key, a new one without', async () => {
    const v = await signUpVendor(t);
    const send = (key?: string) => {
      const req = api(t, v.token).post(`${BILLING}/checkout`);
      return (key ? req.set('Idempotency-Key', key) : req).send({ tier_code: 'essential', is_annual: false });
    };
    const first = await send('retry-me-1');
    const again = await send('retry-me-1');
    const fresh = await send();
    expect(first.status).toBe(200);
    expect(again.body.session_id).toBe(first.body.session_id);
    expect(fresh.body.session_id).not.toBe(first.body.session_id);
    // The keyed retry was answered from the operation row: Stripe saw two requests, each with its own key.
    const keys = sentSince(double, 0, 'POST', '/v1/checkout/sessions').filter((r) => (r.params.metadata as Record<string, string> | undefined)?.vendor_id === String(v.vendorId)).map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
  });

  it('creates one Stripe customer and one session for 10 parallel clicks of one vendor (a double click is one operation)', async () => {
    const v = await signUpVendor(t);
    const before = double.state.customers.size;

    const results = await Promise.all(
      Array.from({ length: 10 }, () => api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'professional', is_annual: false })),
    );

    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => r.body.session_id)).size).toBe(1);
    expect(double.state.customers.size).toBe(before + 1);
    const created = [...double.state.customers.values()].filter((c) => c.metadata?.vendor_id === String(v.vendorId));
    expect(created).toHaveLength(1);
    expect((await subscriptionRow(t, v.vendorId)).stripe_customer_id).toBe(created[0].id);
    const sessions = [...double.state.sessions.values()].filter((s) => s.metadata?.vendor_id === String(v.vendorId));
    expect(new Set(sessions.map((s) => s.customer))).toEqual(new Set([created[0].id]));
  });

  it('answers TIER_NOT_FOUND for an unknown or inactive tier, STRIPE_PRICE_NOT_CONFIGURED for a tier without that price', async () => {
    const v = await signUpVendor(t);
    const from = double.requests.length;
    const unknown = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'platinum', is_annual: false });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ status_code: 404, error_code: 'TIER_NOT_FOUND' });

    await t.db.query(`INSERT INTO subscription_tiers (code, name, price_monthly_cents, stripe_price_monthly_id, is_active) VALUES ('retired', 'Retired', 100, $1, false)`, [prices.essential.month]);
    expect((await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'retired', is_annual: false })).body.error_code).toBe('TIER_NOT_FOUND');

    const custom = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'enterprise', is_annual: false });
    expect(custom.status).toBe(400);
    expect(custom.body.error_code).toBe('STRIPE_PRICE_NOT_CONFIGURED');

    await t.db.query(`INSERT INTO subscription_tiers (code, name, price_monthly_cents, price_annual_cents, stripe_price_monthly_id, display_order) VALUES ('monthly-only', 'Monthly only', 100, 1000, $1, 9)`, [prices.essential.month]);
    const noAnnual = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'monthly-only', is_annual: true });
    expect(noAnnual.status).toBe(400);
    expect(noAnnual.body).toMatchObject({ error_code: 'STRIPE_PRICE_NOT_CONFIGURED', details: { interval: 'year' } });

    expect(sentSince(double, from, 'POST', /.*/)).toHaveLength(0);
    expect((await subscriptionRow(t, v.vendorId)).stripe_customer_id).toBeNull();
  });

  it('refuses a body with a missing tier, a wrong type or an unknown field', async () => {
    const v = await signUpVendor(t);
    const res = await api(t, v.token).post(`${BILLING}/checkout`).send({ is_annual: 'yes', coupon: 'FREE' });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('VALIDATION_FAILED');
    expect(res.body.details.errors.map((e: { field: string }) => e.field).sort()).toEqual(['coupon', 'is_annual', 'tier_code']);
    expect((await api(t, v.token).post(`${BILLING}/checkout`).set('Idempotency-Key', 'has spaces').send({ tier_code: 'essential' })).body.error_code).toBe('VALIDATION_FAILED');
  });

  it('needs a vendor token', async () => {
    expect((await api(t).post(`${BILLING}/checkout`).send({ tier_code: 'essential' })).status).toBe(401);
  });

  it('leaves no customer behind when Stripe fails to create it (502), and succeeds on the next try', async () => {
    const v = await signUpVendor(t);
    const customersBefore = double.state.customers.size;
    double.failNext({ method: 'POST', path: '/v1/customers', status: 500, times: 3 });

    const res = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'essential', is_annual: false });

    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ status_code: 502, error_code: 'PAYMENT_PROVIDER_ERROR' });
    expect(double.pendingFailures).toBe(0);
    expect(double.state.customers.size).toBe(customersBefore);
    expect((await subscriptionRow(t, v.vendorId)).stripe_customer_id).toBeNull();

    const retry = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'essential', is_annual: false });
    expect(retry.status).toBe(200);
    expect(double.state.customers.size).toBe(customersBefore + 1);
  });

  it('answers 502 when Stripe does not answer in time; the client\'s retry with its Idempotency-Key gets the session the slow call made', async () => {
    const v = await signUpVendor(t);
    // The first attempt hangs past the SDK's timeout; its retries find the key still in flight (409) and give up.
    double.delayNext({ method: 'POST', path: '/v1/checkout/sessions', ms: 3000 });
    const send = () => api(t, v.token).post(`${BILLING}/checkout`).set('Idempotency-Key', 'slow-1').send({ tier_code: 'essential', is_annual: false });

    const res = await send();

    expect(res.status).toBe(502);
    expect(res.body.error_code).toBe('PAYMENT_PROVIDER_ERROR');
    const row = await subscriptionRow(t, v.vendorId);
    expect(row).toMatchObject({ tier_code: 'essential', status: 'trial', stripe_subscription_id: null });
    await new Promise((resolve) => setTimeout(resolve, 3200)); // Stripe finishes the slow call meanwhile

    const retry = await send();
    expect(retry.status).toBe(200);
    const sessions = [...double.state.sessions.values()].filter((s) => s.metadata?.vendor_id === String(v.vendorId));
    expect(sessions.map((s) => s.id)).toEqual([retry.body.session_id]);
    expect((await subscriptionRow(t, v.vendorId)).stripe_customer_id).toBe(row.stripe_customer_id);
  });

  it('stores no customer when creating it times out, and the next request gets the customer Stripe made under the same key', async () => {
    const v = await signUpVendor(t);
    double.delayNext({ method: 'POST', path: '/v1/customers', ms: 3000 });

    const res = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'essential', is_annual: false });

    expect(res.status).toBe(502);
    expect((await subscriptionRow(t, v.vendorId)).stripe_customer_id).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 3200));
    expect((await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'essential', is_annual: false })).status).toBe(200);
    const customers = [...double.state.customers.values()].filter((c) => c.metadata?.vendor_id === String(v.vendorId));
    expect(customers).toHaveLength(1);
    expect((await subscriptionRow(t, v.vendorId)).stripe_customer_id).toBe(customers[0].id);
  });

  it('refuses Checkout for a vendor who already has a live Stripe subscription (change the tier instead)', async () => {
    const v = await subscribedVendor(t, double, 'essential');
    const res = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'business', is_annual: false });
    expect(res.status).toBe(409);
    expect(res.body.error_code).toBe('CONFLICT');
  });

  it('POST /sync records the paid Checkout at once, through the webhooks\' subscription mapping', async () => {
    const v = await signUpVendor(t);
    await endTrial(t, v.vendorId);
    const checkout = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'business', is_annual: true });
    const { subscription } = double.completeCheckout(checkout.body.session_id);

    const res = await api(t, v.token).post(`${BILLING}/sync`).send({});

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tier: { code: 'business' }, status: 'active', is_annual: true, cancel_at_period_end: false });
    const row = await subscriptionRow(t, v.vendorId);
    expect(row).toMatchObject({ tier_code: 'business', status: 'active', is_annual: true, stripe_subscription_id: subscription!.id, stripe_price_id: prices.business.year });
    expect(Math.floor(row.period_end.getTime() / 1000)).toBe(subscription!.items.data[0].current_period_end);
  });

  it('POST /sync after a Checkout during the trial keeps the trial and records the card', async () => {
    const v = await signUpVendor(t);
    const checkout = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: 'professional', is_annual: false });
    const { subscription } = double.completeCheckout(checkout.body.session_id);
    expect(subscription!.status).toBe('trialing');

    const res = await api(t, v.token).post(`${BILLING}/sync`).send({});

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tier: { code: 'professional' }, status: 'trial', has_payment_method: true });
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ status: 'trial', has_payment_method: true, stripe_subscription_id: subscription!.id });
  });

  it('POST /sync with nothing in Stripe yet answers the unchanged subscription', async () => {
    const v = await signUpVendor(t);
    const res = await api(t, v.token).post(`${BILLING}/sync`).send({});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tier: { code: 'essential' }, status: 'trial' });
  });

  it('opens the Customer Portal with a return URL to the billing page', async () => {
    const v = await subscribedVendor(t, double, 'essential');
    const from = double.requests.length;
    const res = await api(t, v.token).post(`${BILLING}/portal`).send({});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ portal_url: expect.stringMatching(/^https:\/\/billing\.stripe\.test\/p\/session\//) });
    const [sent] = sentSince(double, from, 'POST', '/v1/billing_portal/sessions');
    expect(sent.params).toEqual({ customer: v.customerId, return_url: `http://billing.test/vendor/${v.code}/billing` });
    expect(sent.idempotencyKey).toMatch(new RegExp(`^portal:vendor:${v.vendorId}:`));
  });

  it('answers NO_ACTIVE_SUBSCRIPTION for the Portal of a vendor without a Stripe customer', async () => {
    const v = await signUpVendor(t);
    const res = await api(t, v.token).post(`${BILLING}/portal`).send({});
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('NO_ACTIVE_SUBSCRIPTION');
    expect((await api(t, v.token).post(`${BILLING}/portal`).send({ customer: 'cus_x' })).body.error_code).toBe('VALIDATION_FAILED');
  });
});
