// The overage meter's item follows the plan (CONTRACT §12): tier changes add or remove the tier's metered price
// beside the plan through the real SDK and the Stripe double, a removed metered item's usage is billed by the change
// (Stripe's classic billing mode drops it), annual plans carry none and stay hard-limited, and the upcoming invoice
// shows the period's overage line as Stripe's preview bills it.
import { CatalogSyncService } from '@app/billing';
import { MeterEventSenderService } from '@app/subscription';
import type Stripe from 'stripe';
import { insertTier } from '../limits/limits.helpers.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { stripeClient } from '../webhooks/webhook-fixtures.js';
import { BILLING, sentSince, subscribedVendor, subscriptionRow, type SubscribedVendor } from './billing-fixtures.js';

const TIER = 'ovg-items';
/** 2 orders a month, then 1.50 each, 20.00 a month (so the default cap takes 13 overage orders), 200.00 a year. */
const PRICE = 150;

describe('overage: the metered item on tier changes, annual plans and the upcoming invoice', () => {
  const { t, double } = useStripeTestApp();
  let sender: MeterEventSenderService;
  let ids: { month: string; year: string; overage: string; essential: string };

  beforeAll(async () => {
    await insertTier(t, TIER, { products: 5, orders: 2, team: 3 });
    await t.db.query(`UPDATE subscription_tiers SET orders_overage_price_cents = $2, price_monthly_cents = 2000, price_annual_cents = 20000 WHERE code = $1`, [TIER, PRICE]);
    await t.app.get(CatalogSyncService).syncCatalog();
    sender = t.app.get(MeterEventSenderService);
    const [row] = await t.db.query(`SELECT stripe_price_monthly_id AS month, stripe_price_annual_id AS year, stripe_overage_price_id AS overage FROM subscription_tiers WHERE code = $1`, [TIER]);
    const [essential] = await t.db.query(`SELECT stripe_price_monthly_id FROM subscription_tiers WHERE code = 'essential'`);
    ids = { ...row, essential: essential.stripe_price_monthly_id };
  });

  const itemPrices = (v: SubscribedVendor) => double.state.subscriptions.get(v.subscriptionId)!.items.data.map((i) => i.price.id).sort();
  const order = (v: SubscribedVendor) => api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 500 });
  /** `n` orders, all accepted; answers how many were overage. */
  async function orders(v: SubscribedVendor, n: number): Promise<number> {
    let overage = 0;
    for (let i = 0; i < n; i++) {
      const res = await order(v);
      expect(res.status).toBe(201);
      if (res.body.overage) overage++;
    }
    return overage;
  }
  /** Waits until the wall clock is in a later second than now (meter events and items carry Unix seconds). */
  const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));

  it('shows the period\'s overage in the upcoming invoice as Stripe\'s preview bills it: the meter\'s sum × the price', async () => {
    const v = await subscribedVendor(t, double, TIER);
    expect(itemPrices(v)).toEqual([ids.month, ids.overage].sort());
    expect(await orders(v, 5)).toBe(3);
    expect(await sender.sendDue()).toBe(3);

    const res = await api(t, v.token).get(`${BILLING}/upcoming-invoice`);
    expect(res.status).toBe(200);
    expect(res.body.lines).toEqual(expect.arrayContaining([
      { description: 'Overage orders this period', amount_cents: 3 * PRICE, quantity: 3, overage: true },
      { description: expect.any(String), amount_cents: 2000, quantity: 1, overage: false },
    ]));
    expect(res.body.lines).toHaveLength(2);
    expect(res.body.amount_due_cents).toBe(2000 + 3 * PRICE);
    // The same figures as /subscription's overage.
    const sub = await api(t, v.token).get(`${BILLING}/subscription`);
    expect(sub.body.usage.orders.overage).toMatchObject({ count: 3, amount_cents: 3 * PRICE });
  });

  it('removes the metered item with a change to a tier without overage, billing what it counted, and adds it back', async () => {
    const v = await subscribedVendor(t, double, TIER);
    expect(await orders(v, 4)).toBe(2);
    expect(await sender.sendDue()).toBe(2);
    const from = double.requests.length;

    // The preview shows what the change bills: the metered item's 2 orders, which Stripe would drop with the item.
    const preview = await api(t, v.token).get(`${BILLING}/upcoming-invoice?tier_code=essential&is_annual=false`);
    expect(preview.status).toBe(200);
    expect(preview.body.lines).toEqual(expect.arrayContaining([{ description: 'Overage orders before the plan change', amount_cents: 2 * PRICE, quantity: 2, overage: true }]));
    const down = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'essential', is_annual: false, proration_date: preview.body.proration_date });
    expect(down.status).toBe(200);
    expect(itemPrices(v)).toEqual([ids.essential]);
    const [update] = sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`);
    const metered = double.state.subscriptions.get(v.subscriptionId)!;
    expect(update.params.items).toEqual([{ id: metered.items.data[0].id, price: ids.essential }, { id: expect.stringMatching(/^si_/), deleted: 'true' }]);
    expect(update.params.add_invoice_items).toEqual([{ price_data: { currency: expect.any(String), product: expect.any(String), unit_amount: String(PRICE) }, quantity: '2', metadata: { kind: 'overage_orders' } }]);
    // An upgrade by the yearly price: invoiced at once, the overage with the prorations, as previewed.
    const invoice = double.state.invoices.get(metered.latest_invoice as string)!;
    expect(invoice.billing_reason).toBe('subscription_update');
    expect(invoice.lines.data.filter((l) => l.metadata.kind === 'overage_orders').map((l) => [l.quantity, l.amount])).toEqual([[2, 2 * PRICE]]);
    expect(invoice.amount_due).toBe(preview.body.amount_due_cents);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: 'essential', stripe_price_id: ids.essential });

    // Back to the overage tier: its metered price rides beside the plan again, a new item counting from now.
    await nextSecond();
    const back = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: TIER, is_annual: false });
    expect(back.status).toBe(200);
    expect(itemPrices(v)).toEqual([ids.month, ids.overage].sort());
    expect((await subscriptionRow(t, v.vendorId)).stripe_price_id).toBe(ids.month);
    // 4 orders taken: past the limit of 2, so the next one is overage again, and only it is on the new item's meter.
    expect(await orders(v, 1)).toBe(1);
    expect(await sender.sendDue()).toBe(1);
    const upcoming = await api(t, v.token).get(`${BILLING}/upcoming-invoice`);
    expect(upcoming.body.lines.filter((l: { overage: boolean }) => l.overage)).toEqual([{ description: 'Overage orders this period', amount_cents: PRICE, quantity: 1, overage: true }]);
  });

  it('keeps annual plans without a metered item: Checkout and a change to annual carry none, and the limit is hard', async () => {
    const v = await subscribedVendor(t, double, TIER);
    expect(await orders(v, 3)).toBe(1);
    const from = double.requests.length;
    const res = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: TIER, is_annual: true });
    expect(res.status).toBe(200);
    expect(itemPrices(v)).toEqual([ids.year]);
    const [update] = sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`);
    // The one overage order (not sent to Stripe yet) is billed by the change, since the metered item goes.
    expect(update.params.add_invoice_items).toEqual([expect.objectContaining({ quantity: '1', price_data: expect.objectContaining({ unit_amount: String(PRICE) }) })]);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: TIER, is_annual: true, stripe_price_id: ids.year });

    // Past the limit on an annual plan: refused as on a tier without overage, nothing written. (The change may have
    // started a new period at Stripe, which resets the count when a second boundary passed meanwhile: fill it again.)
    const { orders_this_period: taken } = await subscriptionRow(t, v.vendorId);
    expect(await orders(v, Math.max(0, 2 - taken))).toBe(0);
    const refused = await order(v);
    expect(refused.status).toBe(403);
    expect(refused.body.error_code).toBe('TIER_LIMIT_EXCEEDED');
    expect(refused.body.details.overage_cap_reached).toBeUndefined();
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM stripe_meter_events WHERE vendor_id = $1`, [v.vendorId]);
    expect(n).toBe(1);

    // An annual Checkout sends the plan alone.
    const annual = await subscribedVendor(t, double, TIER, { isAnnual: true });
    expect(itemPrices(annual)).toEqual([ids.year]);
  });

  it('hard-limits a subscription from before its tier priced overage, until the same plan again adds the metered item', async () => {
    await insertTier(t, 'ovg-later', { products: 5, orders: 1, team: 3 });
    await t.db.query(`UPDATE subscription_tiers SET price_monthly_cents = 1500 WHERE code = 'ovg-later'`);
    await t.app.get(CatalogSyncService).syncCatalog();
    const v = await subscribedVendor(t, double, 'ovg-later');
    // The tier prices overage after the vendor subscribed: its subscription carries no metered item.
    await t.db.query(`UPDATE subscription_tiers SET orders_overage_price_cents = 90 WHERE code = 'ovg-later'`);
    await t.app.get(CatalogSyncService).syncCatalog();
    const [{ stripe_overage_price_id: metered, stripe_price_monthly_id: plan }] = await t.db.query(`SELECT stripe_overage_price_id, stripe_price_monthly_id FROM subscription_tiers WHERE code = 'ovg-later'`);
    expect(metered).toEqual(expect.stringMatching(/^price_/));
    expect((await order(v)).status).toBe(201);
    const refused = await order(v);
    expect(refused.status).toBe(403);
    expect(refused.body.details.overage_cap_reached).toBeUndefined();
    expect((await api(t, v.token).get(`${BILLING}/subscription`)).body.usage.orders.overage).toMatchObject({ count: 0, price_per_unit_cents: null });

    const res = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'ovg-later', is_annual: false });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ new_tier: 'ovg-later', effective_immediately: true, message: expect.stringMatching(/billed as overage/) });
    expect(itemPrices(v)).toEqual([plan, metered].sort());
    expect((await subscriptionRow(t, v.vendorId)).stripe_item_price_ids.sort()).toEqual([plan, metered].sort());
    const accepted = await order(v);
    expect(accepted.status).toBe(201);
    expect(accepted.body.overage).toBe(true);
    // Asked again (a new operation, not the same one's replay): nothing to add, nothing sent.
    await t.db.query(`UPDATE billing_operations SET created_at = created_at - interval '1 minute' WHERE vendor_id = $1`, [v.vendorId]);
    const from = double.requests.length;
    expect((await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'ovg-later', is_annual: false })).body.message).toMatch(/^Already on/);
    expect(sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`)).toHaveLength(0);
  });

  it('is refused by the double as by Stripe: a monthly metered price beside a yearly plan (classic billing mode)', async () => {
    const stripe = stripeClient(double);
    const customer = double.createCustomer();
    const yearly = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: ids.year }] });
    const err = await stripe.subscriptions.update(yearly.id, { items: [{ price: ids.overage }] }).catch((e: Stripe.errors.StripeError) => e);
    expect(err).toMatchObject({ statusCode: 400, message: expect.stringMatching(/interval/) });
    expect(double.state.subscriptions.get(yearly.id)!.items.data.map((i) => i.price.id)).toEqual([ids.year]);
    const session = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: ids.year, quantity: 1 }, { price: ids.overage }], success_url: 'http://billing.test/ok' })
      .catch((e: Stripe.errors.StripeError) => e);
    expect(session).toMatchObject({ statusCode: 400 });
  });
});
