import { readFileSync } from 'node:fs';
import { StripeStatusSyncService } from '@app/billing';
import { MeterEventSenderService } from '@app/subscription';
import { BILLING, subscribedVendor, syncCatalog } from '../billing/billing-fixtures.js';
import { signUpVendor } from '../factories/vendor.factory.js';
import { insertTier } from '../limits/limits.helpers.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { stripeClient } from '../webhooks/webhook-fixtures.js';
import { StripeSchemaCheck } from './types/stripe-schema-check.js';

/**
 * The double, checked against Stripe's published types (issue 20): the product's own flows run against it (catalog
 * sync, Checkout for a plan, a trial and add-ons, /sync, a preview and tier changes both ways, cancel, reactivate,
 * cancel now, the portal, the hourly reconciliation, overage: the meter, meter events, a metered item's usage lines and a
 * tier change's invoice items, a price migration's subscription schedule), the test helpers build what Stripe would send (renewals paid and
 * unpaid, invoices, events), and every answer the double sent and every object and event it holds is validated
 * against the JSON schemas derived from the `stripe` package's declarations (types/stripe-objects.schema.json). A
 * missing required field or a wrong type fails; an enum value the SDK does not list is reported as a warning.
 */
describe('Stripe double: answers and events valid against the stripe package types', () => {
  const { t, double } = useStripeTestApp();
  const answers: { method: string; path: string; status: number; body: string }[] = [];
  double.onAnswer = (answer) => answers.push(answer);

  it('uses the schemas of the installed stripe package (npm run stripe:schemas after an upgrade)', () => {
    const installed = JSON.parse(readFileSync(new URL('../../node_modules/stripe/package.json', import.meta.url), 'utf8')).version;
    expect(new StripeSchemaCheck().stripeVersion).toBe(installed);
  });

  it('drives the product and the helpers, and finds every answer, object and event well typed', async () => {
    // A tier that prices overage: the catalog makes its meter and metered price.
    await insertTier(t, 'types-ovg', { products: 5, orders: 1, team: 3 });
    await t.db.query(`UPDATE subscription_tiers SET orders_overage_price_cents = 50, price_monthly_cents = 3000 WHERE code = 'types-ovg'`);
    await syncCatalog(t);
    const stripe = stripeClient(double);

    // Overage: the metered item beside the plan, meter events, the usage line of the upcoming invoice, a change that
    // removes the item and bills its usage (add_invoice_items; invoice_items in its preview), a renewal's usage line.
    const metered = await subscribedVendor(t, double, 'types-ovg');
    for (let i = 0; i < 3; i++) expect((await api(t, metered.token).post('/api/v1/vendor/orders').send({ total_cents: 500 })).status).toBe(201);
    expect(await t.app.get(MeterEventSenderService).sendDue()).toBe(2);
    expect((await api(t, metered.token).get(`${BILLING}/upcoming-invoice`)).status).toBe(200);
    double.renewSubscription(metered.subscriptionId);
    expect((await api(t, metered.token).post('/api/v1/vendor/orders').send({ total_cents: 500 })).status).toBe(201);
    expect((await api(t, metered.token).get(`${BILLING}/upcoming-invoice`).query({ tier_code: 'essential', is_annual: false })).status).toBe(200);
    expect((await api(t, metered.token).post(`${BILLING}/change-tier`).send({ tier_code: 'essential', is_annual: false })).status).toBe(200);

    // Plans: Checkout paid, /sync, a preview and an upgrade (invoiced now), a downgrade (prorations pending).
    const v = await subscribedVendor(t, double, 'professional');
    const preview = await api(t, v.token).get(`${BILLING}/upcoming-invoice`).query({ tier_code: 'business', is_annual: false });
    expect(preview.status).toBe(200);
    expect((await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'business', is_annual: false, proration_date: preview.body.proration_date })).status).toBe(200);
    expect((await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'essential', is_annual: false })).status).toBe(200);
    expect((await api(t, v.token).get(`${BILLING}/upcoming-invoice`)).status).toBe(200);
    expect((await api(t, v.token).post(`${BILLING}/cancel`).send({ reason: 'testing' })).status).toBe(200);
    expect((await api(t, v.token).post(`${BILLING}/reactivate`).send({})).status).toBe(200);
    expect((await api(t, v.token).post(`${BILLING}/portal`).send({})).status).toBe(200);
    // A cancel_at date (as the dashboard sets it), then reactivated through the product.
    const periodEnd = double.state.subscriptions.get(v.subscriptionId)!.items.data[0].current_period_end;
    await stripe.subscriptions.update(v.subscriptionId, { cancel_at: periodEnd - 86_400 });
    expect((await api(t, v.token).post(`${BILLING}/sync`).send({})).status).toBe(200);
    await t.db.query(`UPDATE billing_operations SET created_at = created_at - interval '1 minute' WHERE vendor_id = $1`, [v.vendorId]);
    expect((await api(t, v.token).post(`${BILLING}/reactivate`).send({})).status).toBe(200);

    // Add-ons: a monthly one, and a domain (yearly).
    for (const body of [{ addon_code: 'email_5', quantity: 2 }, { addon_code: 'domain', domain_name: `shop-${v.vendorId}.example.com` }]) {
      const purchase = await api(t, v.token).post(`${BILLING}/addons/purchase`).send(body);
      expect(purchase.status).toBe(200);
      double.completeCheckout(purchase.body.session_id);
    }

    // A trial's Checkout, and a plan cancelled now.
    const trial = await subscribedVendor(t, double, 'essential', { trial: true });
    const gone = await subscribedVendor(t, double, 'essential');
    expect((await api(t, gone.token).post(`${BILLING}/cancel`).send({ immediately: true })).status).toBe(200);
    // An open Checkout left behind, and one expired.
    const open = await signUpVendor(t);
    const left = await api(t, open.token).post(`${BILLING}/checkout`).send({ tier_code: 'business', is_annual: true });
    expect(left.status).toBe(200);
    await stripe.checkout.sessions.expire(left.body.session_id);

    // A price migration's schedule (CONTRACT §11): from the subscription, two phases, read, listed; another released.
    const later = await subscribedVendor(t, double, 'business');
    const start = (await stripe.subscriptionSchedules.create({ from_subscription: later.subscriptionId })).phases[0];
    const newPrice = double.createPrice({ unit_amount: 21900, interval: 'month', product: String(double.state.subscriptions.get(later.subscriptionId)!.items.data[0].price.product) });
    const moved = await stripe.subscriptionSchedules.update(String(double.state.subscriptions.get(later.subscriptionId)!.schedule), {
      phases: [{ items: [{ price: String(start.items[0].price), quantity: 1 }], start_date: start.start_date, end_date: start.end_date, proration_behavior: 'none' }, { items: [{ price: newPrice.id, quantity: 1 }], proration_behavior: 'none' }],
      end_behavior: 'release', proration_behavior: 'none', metadata: { price_migration_id: '1' },
    });
    expect(moved.phases).toHaveLength(2);
    await stripe.subscriptionSchedules.retrieve(moved.id);
    await stripe.subscriptionSchedules.list({ customer: later.customerId });
    double.renewSubscription(later.subscriptionId);
    const other = await stripe.subscriptionSchedules.create({ from_subscription: gone.subscriptionId }).catch((e: Error) => e);
    expect(other).toBeInstanceOf(Error); // a canceled subscription cannot be scheduled
    await stripe.subscriptionSchedules.release((await stripe.subscriptionSchedules.create({ from_subscription: trial.subscriptionId })).id);

    // What Stripe does on its own: renewals paid and unpaid, an invoice, an event around a copy.
    double.renewSubscription(trial.subscriptionId);
    double.renewSubscription(v.subscriptionId, { paid: false });
    double.createInvoice({ subscription: gone.subscriptionId, status: 'open', attempt_count: 2 });
    double.makeEvent('customer.subscription.updated', double.state.subscriptions.get(v.subscriptionId)!, { previous_attributes: { status: 'active' } });

    // The hourly reconciliation (events.list, subscriptions.list, Checkout reads) and /sync of each vendor.
    await t.app.get(StripeStatusSyncService).reconcile();
    for (const vendor of [v, trial, gone]) expect((await api(t, vendor.token).post(`${BILLING}/sync`).send({})).status).toBe(200);

    const check = new StripeSchemaCheck();
    const ok = answers.filter((a) => a.status === 200);
    for (const [i, a] of ok.entries()) check.checkAnswer(`answer ${i} ${a.method} ${a.path}`, a.body);
    for (const [name, store] of Object.entries({ customers: double.state.customers, products: double.state.products, prices: double.state.prices, subscriptions: double.state.subscriptions, invoices: double.state.invoices, sessions: double.state.sessions, portalSessions: double.state.portalSessions, events: double.state.events, schedules: double.state.schedules })) {
      for (const [id, object] of store) check.check(`${name} ${id}`, object);
    }

    if (check.report.warnings.length > 0) console.warn(`Stripe double: ${check.report.warnings.length} enum values the SDK does not list:\n${[...new Set(check.report.warnings)].slice(0, 20).join('\n')}`);
    expect(check.report.failures).toEqual([]);
    // Everything the product reads was seen (the flows above reached each kind; invoice lines and subscription
    // items inside their invoices and subscriptions).
    expect(ok.length).toBeGreaterThan(40);
    expect(Object.keys(check.report.counts).sort()).toEqual(['billing.meter', 'billing.meter_event', 'billing_portal.session', 'checkout.session', 'customer', 'event', 'invoice', 'price', 'product', 'subscription', 'subscription_schedule']);
  });

  it('fails on a missing required field or a wrong type, and only warns about an enum value the SDK does not list', () => {
    const sub = structuredClone([...double.state.subscriptions.values()][0]);
    const check = new StripeSchemaCheck();
    check.check('as is', sub);
    expect(check.report.failures).toEqual([]);
    const broken = structuredClone(sub) as unknown as Record<string, unknown> & { items: { data: Record<string, unknown>[] } };
    delete broken.items.data[0].current_period_end;
    broken.cancel_at_period_end = 'yes';
    broken.customer = 42;
    check.check('broken', broken);
    expect([...check.report.failures].sort()).toEqual([
      expect.stringMatching(/^broken \(StripeSubscription\): \/cancel_at_period_end must be boolean/),
      expect.stringMatching(/^broken \(StripeSubscription\): \/customer must match a schema in anyOf/),
      expect.stringMatching(/^broken \(StripeSubscription\): \/items\/data\/0 must have required property 'current_period_end'/),
    ]);
    check.check('new enum value', { ...sub, status: 'paused_by_stripe' });
    expect(check.report.failures).toHaveLength(3);
    expect(check.report.warnings).toEqual([expect.stringContaining("/status = 'paused_by_stripe'")]);
  });
});
