import Stripe from 'stripe';
import { startStripeDouble, stripeEnv, type StripeDouble } from './stripe-double.js';

describe('Stripe double (driven by the real stripe SDK)', () => {
  let double: StripeDouble;
  let stripe: Stripe;

  beforeAll(async () => {
    double = await startStripeDouble();
    stripe = new Stripe('sk_test_x', { host: '127.0.0.1', port: double.port, protocol: 'http', maxNetworkRetries: 0 });
  });
  afterEach(() => double.reset());
  afterAll(() => double.close());

  async function monthlyAndYearly() {
    const product = await stripe.products.create({ name: 'Growth', metadata: { tier: 'growth' } });
    const monthly = await stripe.prices.create({ product: product.id, unit_amount: 3000, currency: 'usd', recurring: { interval: 'month' }, lookup_key: 'growth_monthly' });
    const yearly = await stripe.prices.create({ product: product.id, unit_amount: 30000, currency: 'usd', recurring: { interval: 'year' }, lookup_key: 'growth_yearly' });
    const pro = await stripe.prices.create({ product_data: { name: 'Pro' }, unit_amount: 9000, currency: 'usd', recurring: { interval: 'month' }, lookup_key: 'pro_monthly' });
    return { product, monthly, yearly, pro };
  }

  it('creates and retrieves a customer with its metadata', async () => {
    const created = await stripe.customers.create({ email: 'a@shop.test', name: 'Shop A', metadata: { vendor_id: '42' } });
    expect(created.id).toMatch(/^cus_/);
    const fetched = await stripe.customers.retrieve(created.id);
    expect(fetched).toMatchObject({ id: created.id, object: 'customer', email: 'a@shop.test', metadata: { vendor_id: '42' } });
    expect(double.state.customers.get(created.id)?.metadata).toEqual({ vendor_id: '42' });
    const request = double.requestsTo('POST', '/v1/customers')[0];
    expect(request.params).toMatchObject({ email: 'a@shop.test', metadata: { vendor_id: '42' } });
    expect(request.idempotencyKey).toMatch(/^stripe-node-retry-/); // the SDK keys every POST itself
  });

  it('searches customers, products and subscriptions by metadata and fields', async () => {
    await stripe.customers.create({ email: 'x@shop.test', metadata: { vendor_id: '1' } });
    const wanted = await stripe.customers.create({ email: 'y@shop.test', metadata: { vendor_id: '2' } });
    const found = await stripe.customers.search({ query: "metadata['vendor_id']:'2'" });
    expect(found.data.map((c) => c.id)).toEqual([wanted.id]);
    expect((await stripe.customers.search({ query: 'email~"shop.test"' })).data).toHaveLength(2);
    const { monthly } = await monthlyAndYearly();
    expect((await stripe.products.search({ query: "metadata['tier']:'growth' AND active:'true'" })).data).toHaveLength(1);
    const sub = double.createSubscription({ customer: wanted.id, price: monthly.id, metadata: { vendor_id: '2' } });
    double.createSubscription({ price: monthly.id, status: 'canceled', metadata: { vendor_id: '2' } });
    const subs = await stripe.subscriptions.search({ query: "status:'active' AND metadata['vendor_id']:'2'" });
    expect(subs.data.map((s) => s.id)).toEqual([sub.id]);
    await expect(stripe.products.del(monthly.product as string)).rejects.toMatchObject({ statusCode: 400 });
  });

  it('answers 404 resource_missing for an unknown customer', async () => {
    await expect(stripe.customers.retrieve('cus_nope')).rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 404, code: 'resource_missing' });
  });

  it('filters prices by lookup key and refuses a taken lookup key unless transferred', async () => {
    const { monthly } = await monthlyAndYearly();
    const listed = await stripe.prices.list({ lookup_keys: ['growth_monthly', 'pro_monthly'], expand: ['data.product'] });
    expect(listed.data.map((p) => p.lookup_key).sort()).toEqual(['growth_monthly', 'pro_monthly']);
    expect((listed.data[0].product as Stripe.Product).object).toBe('product');
    await expect(stripe.prices.create({ product: monthly.product as string, unit_amount: 3500, currency: 'usd', recurring: { interval: 'month' }, lookup_key: 'growth_monthly' }))
      .rejects.toMatchObject({ statusCode: 400 });
    const moved = await stripe.prices.create({ product: monthly.product as string, unit_amount: 3500, currency: 'usd', recurring: { interval: 'month' }, lookup_key: 'growth_monthly', transfer_lookup_key: true });
    expect(double.state.prices.get(monthly.id)?.lookup_key).toBeNull();
    expect((await stripe.prices.list({ lookup_keys: ['growth_monthly'] })).data.map((p) => p.id)).toEqual([moved.id]);
  });

  it('completes a subscription checkout into a subscription with items, periods and the session metadata', async () => {
    const { monthly } = await monthlyAndYearly();
    const customer = await stripe.customers.create({ email: 'b@shop.test' });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription', customer: customer.id, line_items: [{ price: monthly.id, quantity: 1 }],
      success_url: 'http://billing.test/ok', cancel_url: 'http://billing.test/cancel',
      subscription_data: { metadata: { vendor_id: '7', tier: 'growth' }, trial_period_days: 14 }, metadata: { vendor_id: '7' },
    });
    expect(session.url).toBe(`https://checkout.stripe.test/c/pay/${session.id}`);
    expect(session.status).toBe('open');

    const { subscription, event, events } = double.completeCheckout(session.id);
    expect(event.type).toBe('checkout.session.completed');
    expect(events.map((e) => e.type)).toEqual(['customer.subscription.created', 'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded', 'checkout.session.completed']);
    const fetched = await stripe.subscriptions.retrieve(subscription!.id);
    expect(fetched).toMatchObject({ status: 'trialing', customer: customer.id, metadata: { vendor_id: '7', tier: 'growth' } });
    const item = fetched.items.data[0];
    expect(item.price).toMatchObject({ id: monthly.id, lookup_key: 'growth_monthly', recurring: { interval: 'month' } });
    expect(item.current_period_end - item.current_period_start).toBe(14 * 86400);
    expect(fetched.trial_end).toBe(item.current_period_end);
    expect(fetched).not.toHaveProperty('current_period_end');

    const expanded = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription', 'line_items'] });
    expect(expanded.status).toBe('complete');
    expect(expanded.line_items?.data.map((li) => [li.price?.id, li.quantity])).toEqual([[monthly.id, 1]]);
    expect((expanded.subscription as Stripe.Subscription).id).toBe(subscription!.id);
    const invoices = await stripe.invoices.list({ subscription: subscription!.id });
    expect(invoices.data[0].parent?.subscription_details?.subscription).toBe(subscription!.id);

    const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'http://billing.test/back' });
    expect(portal.url).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/);
  });

  it('charges on the change exactly what the preview showed for the same proration_date', async () => {
    const { monthly, pro } = await monthlyAndYearly();
    const start = 1_767_225_600; // 2026-01-01
    const subscription = double.createSubscription({ price: monthly.id, current_period_start: start, current_period_end: start + 31 * 86400 });
    const prorationDate = start + 10 * 86400;
    const itemId = subscription.items.data[0].id;

    const preview = await stripe.invoices.createPreview({
      subscription: subscription.id,
      subscription_details: { items: [{ id: itemId, price: pro.id }], proration_date: prorationDate, proration_behavior: 'always_invoice' },
    });
    const prorationLines = preview.lines.data.filter((l) => l.parent?.subscription_item_details?.proration);
    const previewAmount = prorationLines.reduce((s, l) => s + l.amount, 0);
    expect(prorationLines).toHaveLength(2);
    expect(prorationLines[0].amount).toBe(-Math.round(3000 * 21 / 31));
    expect(prorationLines[1].amount).toBe(Math.round(9000 * 21 / 31));
    expect(prorationLines[1].pricing?.price_details?.price).toBe(pro.id);
    expect(preview.parent?.subscription_details?.subscription).toBe(subscription.id);

    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: itemId, price: pro.id }], proration_behavior: 'always_invoice', proration_date: prorationDate,
    });
    expect(updated.items.data[0].price.id).toBe(pro.id);
    const [fromPreview, fromUpdate] = double.prorationsFor(subscription.id);
    expect(fromPreview).toMatchObject({ source: 'preview', amount: previewAmount });
    expect(fromUpdate).toMatchObject({ source: 'update', amount: previewAmount, proration_date: prorationDate });
    const invoice = await stripe.invoices.retrieve(updated.latest_invoice as string);
    expect(invoice.amount_due).toBe(previewAmount);
    expect(invoice.billing_reason).toBe('subscription_update');
  });

  it('restarts the period and charges the new price in full on an interval change', async () => {
    const { monthly, yearly } = await monthlyAndYearly();
    const start = 1_767_225_600;
    double.setTime(start + 15 * 86400);
    const subscription = double.createSubscription({ price: monthly.id, current_period_start: start, current_period_end: start + 31 * 86400 });
    const updated = await stripe.subscriptions.update(subscription.id, { items: [{ id: subscription.items.data[0].id, price: yearly.id }] });
    const item = updated.items.data[0];
    expect(item.current_period_start).toBe(start + 15 * 86400);
    expect(item.price.recurring?.interval).toBe('year');
    const invoice = await stripe.invoices.retrieve(updated.latest_invoice as string);
    expect(invoice.lines.data.map((l) => l.amount)).toEqual([-Math.round(3000 * 16 / 31), 30000]);
  });

  it('keeps create_prorations amounts for the next invoice and shows them in the next preview', async () => {
    const { monthly, pro } = await monthlyAndYearly();
    const start = 1_767_225_600;
    const subscription = double.createSubscription({ price: pro.id, current_period_start: start, current_period_end: start + 31 * 86400 });
    await stripe.subscriptions.update(subscription.id, { items: [{ id: subscription.items.data[0].id, price: monthly.id }], proration_date: start + 21 * 86400 });
    const [change] = double.prorationsFor(subscription.id);
    expect(change.amount).toBe(Math.round(3000 * 10 / 31) - Math.round(9000 * 10 / 31));
    const next = await stripe.invoices.createPreview({ subscription: subscription.id });
    expect(next.total).toBe(change.amount + 3000);
    expect(next.next_payment_attempt).toBe(start + 31 * 86400);
    expect((await stripe.invoices.list({ subscription: subscription.id })).data).toHaveLength(0);
  });

  it('renews a subscription into the next period with a cycle invoice, or past_due when the payment fails', async () => {
    const { monthly } = await monthlyAndYearly();
    const start = 1_767_225_600; // 2026-01-01
    const feb = start + 31 * 86400;
    const subscription = double.createSubscription({ price: monthly.id, current_period_start: start, current_period_end: feb });
    double.setTime(feb);
    const renewed = double.renewSubscription(subscription.id);
    expect(renewed.events.map((e) => e.type)).toEqual(['invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded', 'customer.subscription.updated']);
    const invoice = await stripe.invoices.retrieve(renewed.invoice.id);
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', amount_paid: 3000, period_start: start, period_end: feb });
    expect(invoice.lines.data[0].period).toEqual({ start: feb, end: feb + 28 * 86400 });
    expect((await stripe.subscriptions.retrieve(subscription.id)).items.data[0].current_period_start).toBe(feb);

    const failed = double.renewSubscription(subscription.id, { paid: false });
    expect(failed.subscription.status).toBe('past_due');
    expect(failed.invoice).toMatchObject({ status: 'open', amount_paid: 0, attempt_count: 1 });
    expect(failed.events.map((e) => e.type)).toContain('invoice.payment_failed');
    expect(failed.events.at(-1)?.data.previous_attributes).toMatchObject({ status: 'active' });
  });

  it('creates subscriptions through the API, incomplete with an open invoice under default_incomplete', async () => {
    const { monthly } = await monthlyAndYearly();
    const customer = await stripe.customers.create({});
    const paid = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
    expect(paid.status).toBe('active');
    const pending = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }], payment_behavior: 'default_incomplete', expand: ['latest_invoice'] });
    expect(pending.status).toBe('incomplete');
    expect(pending.latest_invoice).toMatchObject({ object: 'invoice', status: 'open', amount_due: 3000, amount_paid: 0 });
    const listed = await stripe.invoices.list({ customer: customer.id, status: 'paid' });
    expect(listed.data.map((i) => i.parent?.subscription_details?.subscription)).toEqual([paid.id]);
  });

  it('refuses to cancel a canceled subscription with 404 resource_missing', async () => {
    const { monthly } = await monthlyAndYearly();
    const subscription = double.createSubscription({ price: monthly.id });
    const canceled = await stripe.subscriptions.cancel(subscription.id, { cancellation_details: { comment: 'too expensive' } });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_details: { comment: 'too expensive' } });
    await expect(stripe.subscriptions.cancel(subscription.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect((await stripe.subscriptions.list()).data).toHaveLength(0);
  });

  it('pages through 250 subscriptions with auto-pagination', async () => {
    const { monthly } = await monthlyAndYearly();
    const customer = double.createCustomer();
    for (let i = 0; i < 250; i++) double.createSubscription({ customer: customer.id, price: monthly.id });
    double.createSubscription({ price: monthly.id, status: 'canceled' });
    const seen: string[] = [];
    for await (const sub of stripe.subscriptions.list({ customer: customer.id, status: 'active', limit: 100 })) seen.push(sub.id);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    expect(double.requestsTo('GET', '/v1/subscriptions')).toHaveLength(3);
    const all = await stripe.subscriptions.list({ status: 'all' }).autoPagingToArray({ limit: 1000 });
    expect(all).toHaveLength(251);
  });

  it('replays the first answer to a reused idempotency key and refuses it with other params', async () => {
    const first = await stripe.customers.create({ email: 'c@shop.test' }, { idempotencyKey: 'signup-1' });
    const second = await stripe.customers.create({ email: 'c@shop.test' }, { idempotencyKey: 'signup-1' });
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(double.state.customers.size).toBe(1);
    await expect(stripe.customers.create({ email: 'other@shop.test' }, { idempotencyKey: 'signup-1' }))
      .rejects.toMatchObject({ type: 'StripeIdempotencyError', statusCode: 400 });
  });

  it('replays byte for byte over raw HTTP', async () => {
    const post = () => fetch(`${double.url}/v1/customers`, {
      method: 'POST', body: 'email=raw%40shop.test&metadata[a]=1',
      headers: { Authorization: 'Bearer sk_test_x', 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': 'raw-1' },
    });
    const [first, second] = [await post(), await post()];
    expect(await second.text()).toBe(await first.text());
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(double.requests.map((r) => r.replayed ?? false)).toEqual([false, true]);
  });

  it('answers 409 while a keyed request is in flight, then replays it to the SDK retry after a timeout', async () => {
    const post = () => fetch(`${double.url}/v1/customers`, {
      method: 'POST', body: 'email=slow%40shop.test',
      headers: { Authorization: 'Bearer sk_test_x', 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': 'slow-1' },
    });
    double.delayNext({ method: 'POST', path: '/v1/customers', ms: 200 });
    const slow = post();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const concurrent = await post();
    expect(concurrent.status).toBe(409);
    expect(((await concurrent.json()) as { error: object }).error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_in_use' });
    expect((await slow).status).toBe(200);

    const retrying = new Stripe('sk_test_x', { host: '127.0.0.1', port: double.port, protocol: 'http', maxNetworkRetries: 2, timeout: 150 });
    double.delayNext({ method: 'POST', path: '/v1/customers', ms: 300 });
    const customer = await retrying.customers.create({ email: 'timeout@shop.test' });
    const attempts = double.requests.filter((r) => r.params.email === 'timeout@shop.test');
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect([...double.state.customers.values()].filter((c) => c.email === 'timeout@shop.test').map((c) => c.id)).toEqual([customer.id]);
  });

  it('injects failures and delays that the SDK sees as Stripe errors', async () => {
    double.failNext({ method: 'POST', path: '/v1/customers', status: 402, code: 'card_declined', message: 'Your card was declined.' });
    await expect(stripe.customers.create({})).rejects.toMatchObject({ type: 'StripeCardError', statusCode: 402, code: 'card_declined' });
    double.failNext({ path: /^\/v1\/subscriptions/, status: 500 });
    await expect(stripe.subscriptions.list()).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
    await expect(stripe.subscriptions.list()).resolves.toMatchObject({ object: 'list' });

    const retrying = new Stripe('sk_test_x', { host: '127.0.0.1', port: double.port, protocol: 'http', maxNetworkRetries: 2 });
    double.failNext({ method: 'POST', path: '/v1/customers', status: 503, times: 2 });
    const customer = await retrying.customers.create({ email: 'd@shop.test' });
    expect(double.requestsTo('POST', '/v1/customers').map((r) => r.status)).toEqual([402, 503, 503, 200]);
    expect(new Set(double.requestsTo('POST', '/v1/customers').slice(1).map((r) => r.idempotencyKey)).size).toBe(1);
    expect(double.state.customers.has(customer.id)).toBe(true);

    const impatient = new Stripe('sk_test_x', { host: '127.0.0.1', port: double.port, protocol: 'http', maxNetworkRetries: 0, timeout: 100 });
    double.delayNext({ path: '/v1/customers', ms: 300 });
    await expect(impatient.customers.list()).rejects.toMatchObject({ type: 'StripeConnectionError' });
  });

  it('answers 429 rate_limit above the configured rate', async () => {
    double.rateLimit({ perSecond: 3 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => stripe.customers.list()));
    const limited = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(limited).toHaveLength(3);
    expect((limited[0] as PromiseRejectedResult).reason).toMatchObject({ type: 'StripeRateLimitError', statusCode: 429, code: 'rate_limit' });
  });

  it('lists events by type, types and created, with pagination', async () => {
    const customer = double.createCustomer();
    double.makeEvent('invoice.paid', { id: 'in_1', object: 'invoice' }, { created: 1000 });
    double.makeEvent('customer.subscription.updated', { id: 'sub_1', object: 'subscription' }, { created: 2000 });
    double.makeEvent('customer.subscription.deleted', { id: 'sub_1', object: 'subscription' }, { created: 3000 });
    double.makeEvent('customer.updated', customer, { created: 4000 });

    expect((await stripe.events.list({ type: 'invoice.paid' })).data.map((e) => e.created)).toEqual([1000]);
    expect((await stripe.events.list({ type: 'customer.subscription.*' })).data.map((e) => e.created)).toEqual([3000, 2000]);
    expect((await stripe.events.list({ types: ['invoice.paid', 'customer.updated'] })).data.map((e) => e.type)).toEqual(['customer.updated', 'invoice.paid']);
    expect((await stripe.events.list({ created: { gte: 2000, lt: 4000 } })).data.map((e) => e.created)).toEqual([3000, 2000]);
    const paged = await stripe.events.list({ limit: 2 }).autoPagingToArray({ limit: 10 });
    expect(paged.map((e) => e.created)).toEqual([4000, 3000, 2000, 1000]);
    const one = await stripe.events.retrieve(paged[0].id);
    expect(one).toMatchObject({ object: 'event', api_version: '2026-10-28.endive', livemode: false, data: { object: { id: customer.id } } });
  });

  it('records the events Stripe sends for API changes', async () => {
    const { monthly, pro } = await monthlyAndYearly();
    const customer = await stripe.customers.create({});
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }], metadata: { vendor_id: '9' } });
    await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0].id, price: pro.id }], cancel_at_period_end: true });
    await stripe.subscriptions.cancel(sub.id);
    const types = (await stripe.events.list({ type: 'customer.subscription.*' })).data.map((e) => e.type);
    expect(types).toEqual(['customer.subscription.deleted', 'customer.subscription.updated', 'customer.subscription.created']);
    const updated = (await stripe.events.list({ type: 'customer.subscription.updated' })).data[0];
    expect(updated.data.previous_attributes).toMatchObject({ cancel_at_period_end: false });
    expect(double.state.subscriptions.get(sub.id)?.status).toBe('canceled');
  });

  it('signs payloads that Stripe.webhooks.constructEvent accepts', () => {
    const event = double.makeEvent('customer.subscription.updated', { id: 'sub_9', object: 'subscription', status: 'past_due' });
    const env = stripeEnv(double);
    const { body, signature } = double.signedPayload(event, env.STRIPE_WEBHOOK_SECRET);
    const verified = Stripe.webhooks.constructEvent(body, signature, env.STRIPE_WEBHOOK_SECRET);
    expect(verified.id).toBe(event.id);
    expect(() => Stripe.webhooks.constructEvent(body, signature, 'whsec_other')).toThrow();
    const stale = double.signedPayload(event, env.STRIPE_WEBHOOK_SECRET, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(() => Stripe.webhooks.constructEvent(stale.body, stale.signature, env.STRIPE_WEBHOOK_SECRET, 300)).toThrow();
  });
});
