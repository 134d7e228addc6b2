import { insertSubscription, subscriptionOf } from './subscription-rows.js';
import { useStripeWorker } from './worker-context.js';

const DAY_S = 86_400;

describe('sync-stripe-status against Stripe (the double)', () => {
  const { w, double } = useStripeWorker();
  let priceId: string;

  beforeAll(async () => {
    const { StripeStatusSyncService } = await import('@app/billing');
    w.app.get(StripeStatusSyncService).backoff = { baseDelayMs: 100 };
    priceId = double.createPrice({ unit_amount: 4900, interval: 'month', product_name: 'Essential' }).id;
    await w.db.query(`UPDATE subscription_tiers SET stripe_price_monthly_id = $1 WHERE code = 'essential'`, [priceId]);
  });

  /** A Stripe subscription and our row for the same vendor, our row as `ours` says. */
  async function linkedVendor(stripeStatus: 'active' | 'past_due', ours: { status: 'active' | 'past_due' }) {
    const now = Math.floor(Date.now() / 1000);
    const start = now - 5 * DAY_S;
    const end = start + 30 * DAY_S;
    const placeholder = await insertSubscription(w.db, { status: ours.status, period_start: new Date(start * 1000), period_end: new Date(end * 1000), has_payment_method: true });
    const sub = double.createSubscription({ price: priceId, status: stripeStatus, metadata: { vendor_id: String(placeholder.vendorId) }, current_period_start: start, current_period_end: end });
    await w.db.query(
      `UPDATE vendor_subscriptions SET stripe_subscription_id = $2, stripe_customer_id = $3, stripe_price_id = $4, updated_at = '2026-01-01T00:00:00Z' WHERE vendor_id = $1`,
      [placeholder.vendorId, sub.id, sub.customer, priceId],
    );
    return { vendorId: placeholder.vendorId, subscription: sub };
  }

  it('corrects a subscription that drifted from Stripe, leaves one that matches alone, and finds nothing the second time', async () => {
    const drifted = await linkedVendor('past_due', { status: 'active' });
    const matching = await linkedVendor('active', { status: 'active' });

    const run = await w.run('sync-stripe-status');

    expect(run).toMatchObject({ status: 'succeeded', rowsAffected: 1 });
    expect(run.details).toMatchObject({ subscriptions_seen: 2, subscriptions_drifted: 1, drift: { status: 1 }, subscriptions_unmatched: 0 });
    const fixed = await subscriptionOf(w.db, drifted.vendorId);
    expect(fixed.status).toBe('past_due');
    expect(fixed.past_due_since).not.toBeNull();
    const untouched = await subscriptionOf(w.db, matching.vendorId);
    expect([untouched.status, untouched.updated_at.toISOString()]).toEqual(['active', '2026-01-01T00:00:00.000Z']);

    const again = await w.run('sync-stripe-status');
    expect(again).toMatchObject({ status: 'succeeded', rowsAffected: 0, details: expect.objectContaining({ subscriptions_seen: 2, subscriptions_drifted: 0 }) });
  });

  it('recovers a handled event the webhook never delivered, and only that one', async () => {
    const vendor = await linkedVendor('active', { status: 'active' });
    const missed = double.createInvoice({ subscription: vendor.subscription.id, status: 'paid', number: 'INV-MISSED' });
    const missedEvent = double.makeEvent('invoice.paid', missed);
    const delivered = double.createInvoice({ subscription: vendor.subscription.id, status: 'paid', number: 'INV-DELIVERED' });
    const deliveredEvent = double.makeEvent('invoice.paid', delivered);
    await w.db.query(`INSERT INTO stripe_webhook_events (event_id, type, status, attempts, processed_at) VALUES ($1, 'invoice.paid', 'processed', 1, now())`, [deliveredEvent.id]);
    double.makeEvent('invoice.created', missed);
    double.makeEvent('invoice.paid', double.createInvoice({ subscription: vendor.subscription.id, status: 'paid', number: 'INV-OLD' }), { created: Math.floor(Date.now() / 1000) - 4 * DAY_S });

    const run = await w.run('sync-stripe-status');

    expect(run.status).toBe('succeeded');
    expect(run.details).toMatchObject({ events_recovered: 1, events_failed: 0 });
    const [ledger] = await w.db.query(`SELECT status FROM stripe_webhook_events WHERE event_id = $1`, [missedEvent.id]);
    expect(ledger).toEqual({ status: 'processed' });
    const invoices = await w.db.query(`SELECT stripe_invoice_id FROM billing_history WHERE vendor_id = $1`, [vendor.vendorId]);
    expect(invoices).toEqual([{ stripe_invoice_id: missed.id }]);

    expect((await w.run('sync-stripe-status')).details).toMatchObject({ events_recovered: 0 });
  });

  it('recovers a missed checkout.session.async_payment_succeeded: the add-on paid by a delayed method is granted', async () => {
    // A vendor without any Stripe subscription: a one-off add-on paid by bank debit.
    const now = Date.now();
    const vendor = await insertSubscription(w.db, { status: 'active', period_start: new Date(now - 5 * DAY_S * 1000), period_end: new Date(now + 25 * DAY_S * 1000), has_payment_method: true });
    const session = {
      id: `cs_test_delayed_${vendor.vendorId}`, object: 'checkout.session', mode: 'payment', payment_status: 'paid', status: 'complete',
      customer: null, subscription: null, metadata: { vendor_id: String(vendor.vendorId), addon_code: 'ssl_premium', quantity: '1' },
    };
    const missed = double.makeEvent('checkout.session.async_payment_succeeded', session);

    const run = await w.run('sync-stripe-status');

    expect(run.status).toBe('succeeded');
    const [ledger] = await w.db.query(`SELECT status FROM stripe_webhook_events WHERE event_id = $1`, [missed.id]);
    expect(ledger).toEqual({ status: 'processed' });
    const addOns = await w.db.query(`SELECT status, stripe_checkout_session_id FROM vendor_add_ons WHERE vendor_id = $1`, [vendor.vendorId]);
    expect(addOns).toEqual([{ status: 'active', stripe_checkout_session_id: session.id }]);
  });

  it('backs off when Stripe answers 429 and still finishes', async () => {
    double.rateLimit({ perSecond: 1 });
    try {
      const run = await w.run('sync-stripe-status');
      expect(run.status).toBe('succeeded');
      expect(run.details).toMatchObject({ rate_limit_backoffs: expect.any(Number), subscriptions_seen: 3 });
      expect(Number(run.details?.rate_limit_backoffs)).toBeGreaterThan(0);
    } finally {
      double.rateLimit(null);
    }
  });

  it('streams the missed events page by page: each page is recovered before the next is read', async () => {
    const vendor = await linkedVendor('active', { status: 'active' });
    const now = Math.floor(Date.now() / 1000);
    const missed = Array.from({ length: 120 }, (_, i) =>
      double.makeEvent('invoice.paid', double.createInvoice({ subscription: vendor.subscription.id, status: 'paid', number: `INV-PAGE-${i}` }), { created: now - 3_600 + i }));

    const run = await w.run('sync-stripe-status');

    expect(run.details).toMatchObject({ events_recovered: 120, events_failed: 0 });
    // The page each event sits on, as the job read them (newest first, 100 a page).
    const { StripeService } = await import('@app/stripe');
    const { HANDLED_EVENT_TYPES } = await import('@app/billing');
    const pageOf = new Map<string, number>();
    let page = 0;
    let after: string | undefined;
    for (;;) {
      const list = await w.app.get(StripeService).client.events.list({ types: [...HANDLED_EVENT_TYPES], limit: 100, ...(after && { starting_after: after }) });
      for (const e of list.data) pageOf.set(e.id, page);
      if (!list.has_more) break;
      after = list.data[list.data.length - 1].id;
      page++;
    }
    const ids = new Set(missed.map((e) => e.id));
    const created = new Map(missed.map((e) => [e.id, e.created]));
    const ledger: { event_id: string }[] = await w.db.query(`SELECT event_id FROM stripe_webhook_events ORDER BY id`);
    const order = ledger.map((r) => r.event_id).filter((id) => ids.has(id));
    const pageByPage = [...order].sort((a, b) => pageOf.get(a)! - pageOf.get(b)! || created.get(a)! - created.get(b)!);
    expect(order).toEqual(pageByPage);
    expect(new Set(order.map((id) => pageOf.get(id))).size).toBeGreaterThanOrEqual(2);
  });
});
