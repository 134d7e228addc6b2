import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, eventRow, linkedVendor, priceTheTiers, subscriptionRow, type TierPrices } from './webhook-fixtures.js';

/**
 * CONTRACT §6: a signed event whose content the system cannot use answers 200 and is recorded `ignored` or
 * `needs_attention` with the reason, never 5xx on every retry; nothing of it is applied.
 */
describe('Stripe webhooks: signed events the system cannot use', () => {
  const { t, double } = useStripeTestApp();
  let prices: TierPrices;

  beforeAll(async () => {
    prices = await priceTheTiers(t, double);
  });

  it('keeps an event with a NUL in a string (jsonb refuses it) with the character replaced, and applies it', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.professionalMonthly);
    const event = double.makeEvent('customer.subscription.updated', { ...subscription, description: 'a\u0000b', metadata: { ...subscription.metadata, note: '\ud800x' } });

    const first = await deliver(t, double, event);
    const again = await deliver(t, double, event);

    expect([first.status, again.status]).toEqual([200, 200]);
    const row = await eventRow(t, event.id);
    expect(row).toMatchObject({ status: 'processed', attempts: 1 });
    expect(row.payload.data.object.description).toBe('a\ufffdb');
    expect((await subscriptionRow(t, vendor.vendorId)).tier_code).toBe('professional');
  });

  it('records an event whose `created` is no plausible time as ignored, with the reason', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.businessMonthly);
    const before = await subscriptionRow(t, vendor.vendorId);
    const event = { ...double.makeEvent('customer.subscription.updated', subscription), created: 1e20 };

    const res = await deliver(t, double, event);

    expect(res.status).toBe(200);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'ignored', error: expect.stringContaining('not a plausible time'), event_created_at: null });
    expect(await subscriptionRow(t, vendor.vendorId)).toEqual(before);
  });

  it('records an invoice whose total does not fit a cents column as needs_attention, and changes nothing', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.professionalMonthly);
    const before = await subscriptionRow(t, vendor.vendorId);
    const invoice = double.createInvoice({ subscription: subscription.id, status: 'paid' });
    const event = double.makeEvent('invoice.paid', { ...invoice, total: 3_000_000_000, amount_paid: 3_000_000_000 });

    const res = await deliver(t, double, event);
    const retried = await deliver(t, double, event);

    expect([res.status, retried.status]).toEqual([200, 200]);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'needs_attention', attempts: 1, error: expect.stringContaining('out of range') });
    expect(await subscriptionRow(t, vendor.vendorId)).toEqual(before);
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM billing_history WHERE stripe_invoice_id = $1`, [invoice.id]);
    expect(count).toBe(0);
  });

  it('records a value PostgreSQL refuses anywhere in the effect as needs_attention (data errors are not retried)', async () => {
    const { vendor, subscription } = await linkedVendor(t, double, prices.professionalMonthly);
    const invoice = double.createInvoice({ subscription: subscription.id, status: 'paid' });
    // A currency longer than its column: PostgreSQL refuses the row (22001), which no retry can cure.
    const event = double.makeEvent('invoice.paid', { ...invoice, currency: 'x'.repeat(40) });

    const res = await deliver(t, double, event);

    expect(res.status).toBe(200);
    expect(await eventRow(t, event.id)).toMatchObject({ status: 'needs_attention', error: expect.stringContaining('22001') });
    expect((await subscriptionRow(t, vendor.vendorId)).last_payment_at).toBeNull();
  });
});
