import { insertSubscription, subscriptionOf } from './subscription-rows.js';
import { useStripeWorker, type WorkerContext } from './worker-context.js';

const DAY_S = 86_400;
const UNTOUCHED = '2026-01-01T00:00:00.000Z';

/**
 * One page of Stripe subscriptions of every kind the reconciliation meets. Only what would change takes a
 * transaction; a row that already matches is compared in the page's one read and never written or locked.
 */
describe('sync-stripe-status, one page of every kind', () => {
  const { w, double } = useStripeWorker();
  let priceId: string;
  const now = Math.floor(Date.now() / 1000);
  const start = now - 5 * DAY_S;
  const end = start + 30 * DAY_S;

  beforeAll(async () => {
    priceId = double.createPrice({ unit_amount: 4900, interval: 'month', product_name: 'Essential' }).id;
    await w.db.query(`UPDATE subscription_tiers SET stripe_price_monthly_id = $1 WHERE code = 'essential'`, [priceId]);
  });

  /** A vendor whose row is linked to a new Stripe subscription; the row as `ours` says, last written long ago. */
  async function linkedVendor(stripe: { status: 'active' | 'past_due' }, ours: { status: 'active' | 'past_due'; lastEventAt?: Date }) {
    const placeholder = await insertSubscription(w.db, { status: ours.status, period_start: new Date(start * 1000), period_end: new Date(end * 1000), has_payment_method: true });
    const sub = double.createSubscription({ price: priceId, status: stripe.status, metadata: { vendor_id: String(placeholder.vendorId) }, current_period_start: start, current_period_end: end });
    await w.db.query(
      `UPDATE vendor_subscriptions SET stripe_subscription_id = $2, stripe_customer_id = $3, stripe_price_id = $4, stripe_watermark = $5,
              past_due_since = CASE WHEN status = 'past_due' THEN now() END, updated_at = $6 WHERE vendor_id = $1`,
      [placeholder.vendorId, sub.id, sub.customer, priceId, ours.lastEventAt ?? null, UNTOUCHED],
    );
    return { vendorId: placeholder.vendorId, subscription: sub };
  }

  async function addOnOf(vendorId: number, subscriptionId: string) {
    const [row] = await w.db.query(
      `INSERT INTO vendor_add_ons (vendor_id, add_on_product_id, status, stripe_subscription_id, period_start, period_end)
       SELECT $1, id, 'active', $2, to_timestamp($3), to_timestamp($4) FROM add_on_products WHERE code = 'email_5' RETURNING id`,
      [vendorId, subscriptionId, start, end],
    );
    return row.id as number;
  }

  it('corrects the drifted, settles open operations, applies add-ons, skips the stale and unknown, and leaves matching rows unwritten and unlocked', async () => {
    const matching = await linkedVendor({ status: 'active' }, { status: 'active' });
    const drifted = await linkedVendor({ status: 'past_due' }, { status: 'active' });
    // Our row heard of a newer event than this read: Stripe's page is older than it, so it stays as it is.
    const stale = await linkedVendor({ status: 'active' }, { status: 'past_due', lastEventAt: new Date((now + 3_600) * 1000) });
    // Matches, but an operation Stripe answered never got its local write: the read settles it.
    const settling = await linkedVendor({ status: 'active' }, { status: 'active' });
    const [operation] = await w.db.query(`INSERT INTO billing_operations (vendor_id, kind, request_hash, status) VALUES ($1, 'cancel', 'h', 'stripe_succeeded') RETURNING id`, [settling.vendorId]);
    // The vendor's previous subscription, ended, on the same page as the current one.
    const renewed = await linkedVendor({ status: 'active' }, { status: 'active' });
    const previous = double.createSubscription({ price: priceId, status: 'canceled', customer: renewed.subscription.customer as string, metadata: { vendor_id: String(renewed.vendorId) }, created: now - 90 * DAY_S });
    // Add-ons: one Stripe ended (metadata names it), one whose period moved on (no metadata: found by its id).
    const endedAddOnSub = double.createSubscription({ price: priceId, status: 'canceled', customer: matching.subscription.customer as string, metadata: { vendor_id: String(matching.vendorId), addon_code: 'email_5' }, current_period_start: start, current_period_end: end });
    const endedAddOn = await addOnOf(matching.vendorId, endedAddOnSub.id);
    const renewedAddOnSub = double.createSubscription({ price: priceId, status: 'active', customer: drifted.subscription.customer as string, current_period_start: end, current_period_end: end + 30 * DAY_S });
    const renewedAddOn = await addOnOf(drifted.vendorId, renewedAddOnSub.id);
    // Nobody of ours: a customer we never linked, no vendor in its metadata.
    const unknown = double.createSubscription({ price: priceId, status: 'active' });
    await w.db.query(`DELETE FROM platform_events`);

    // Hold the rows that must not be written: a per-row transaction for them would wait here and never finish.
    const holder = w.db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    let run: Awaited<ReturnType<WorkerContext['run']>>;
    try {
      await holder.query(`SELECT id FROM vendor_subscriptions WHERE vendor_id = ANY($1) FOR UPDATE`, [[matching.vendorId, stale.vendorId]]);
      run = await w.run('sync-stripe-status');
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }

    expect(run).toMatchObject({ status: 'succeeded', rowsAffected: 1 });
    expect(run.details).toMatchObject({
      subscriptions_seen: 9, subscriptions_drifted: 1, drift: { status: 1 }, subscriptions_unmatched: 1, subscriptions_skipped: 2, add_ons_applied: 2,
    });
    const fixed = await subscriptionOf(w.db, drifted.vendorId);
    expect([fixed.status, fixed.past_due_since === null, fixed.updated_at.toISOString() === UNTOUCHED]).toEqual(['past_due', false, false]);
    // (The settling vendor's transaction commits the settled operation, and with it the row's unchanged values.)
    for (const untouched of [matching, stale, renewed]) {
      const row = await subscriptionOf(w.db, untouched.vendorId);
      expect([row.stripe_subscription_id, row.updated_at.toISOString()]).toEqual([untouched.subscription.id, UNTOUCHED]);
    }
    expect((await subscriptionOf(w.db, stale.vendorId)).status).toBe('past_due');
    const [settled] = await w.db.query(`SELECT status FROM billing_operations WHERE id = $1`, [operation.id]);
    expect(settled).toEqual({ status: 'succeeded' });
    expect((await subscriptionOf(w.db, settling.vendorId)).status).toBe('active');
    const addOns = await w.db.query(`SELECT id, status, period_end FROM vendor_add_ons WHERE id = ANY($1) ORDER BY id`, [[endedAddOn, renewedAddOn]]);
    expect(addOns.map((a: { status: string; period_end: Date }) => [a.status, a.period_end.getTime() / 1000])).toEqual([['cancelled', end], ['active', end + 30 * DAY_S]]);
    const outbox = await w.db.query(`SELECT vendor_id, data FROM platform_events WHERE type = 'subscription.updated'`);
    expect(outbox).toEqual([{ vendor_id: drifted.vendorId, data: expect.objectContaining({ status: 'past_due', previous: { status: 'active' } }) }]);
    expect(await w.db.query(`SELECT count(*)::int AS n FROM vendor_subscriptions WHERE stripe_subscription_id = ANY($1)`, [[previous.id, unknown.id]])).toEqual([{ n: 0 }]);

    const again = await w.run('sync-stripe-status');
    expect(again).toMatchObject({ status: 'succeeded', rowsAffected: 0, details: expect.objectContaining({ subscriptions_seen: 9, subscriptions_drifted: 0, subscriptions_skipped: 2 }) });
  });
});
