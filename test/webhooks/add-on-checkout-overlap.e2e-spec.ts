import type { QueryRunner } from 'typeorm';
import { signUpVendor } from '../factories/vendor.factory.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver } from './webhook-fixtures.js';

/**
 * A paid add-on Checkout is granted in one statement that reads what holds its session and domain when it starts
 * (CONTRACT §5, §6). These make two such statements overlap for certain: the test holds the vendors' rows, which
 * every grant locks first, until both deliveries wait on them; the one that goes second then meets the first's
 * rows on the unique indexes, and must run again, not fail.
 */
describe('webhooks: paid add-on Checkouts that overlap', () => {
  const { t, double } = useStripeTestApp();

  const paidSession = (id: string, vendorId: number, metadata: Record<string, string>) => ({
    id, object: 'checkout.session', mode: 'payment', status: 'complete', payment_status: 'paid', customer: null, subscription: null,
    metadata: { vendor_id: String(vendorId), ...metadata },
  });

  /** Holds the vendors' rows while `deliveries` start, lets go once all of them wait on a lock, and answers them. */
  async function overlapping(vendorIds: number[], deliveries: (() => Promise<{ status: number }>)[]): Promise<number[]> {
    const holder: QueryRunner = t.db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query(`SELECT 1 FROM vendor_subscriptions WHERE vendor_id = ANY($1::int[]) FOR NO KEY UPDATE`, [vendorIds]);
    const answers = Promise.all(deliveries.map((d) => d()));
    try {
      for (let i = 0; ; i++) {
        const [{ waiting }] = await t.db.query(`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (waiting >= deliveries.length) break;
        if (i > 500) throw new Error(`only ${waiting} of ${deliveries.length} deliveries waited on the vendors' rows`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await holder.commitTransaction();
      await holder.release();
    }
    return (await answers).map((r) => r.status);
  }

  it('grants the add-on once when its Checkout completed and its delayed payment arrive together', async () => {
    const vendor = await signUpVendor(t);
    const session = paidSession('cs_overlap_same', vendor.vendorId, { addon_code: 'ssl_premium' });
    const completed = double.makeEvent('checkout.session.completed', session);
    const paidLater = double.makeEvent('checkout.session.async_payment_succeeded', session);

    const statuses = await overlapping([vendor.vendorId], [() => deliver(t, double, completed), () => deliver(t, double, paidLater)]);

    expect(statuses).toEqual([200, 200]);
    expect(await t.db.query(`SELECT status, stripe_checkout_session_id FROM vendor_add_ons WHERE vendor_id = $1`, [vendor.vendorId])).toEqual([
      { status: 'active', stripe_checkout_session_id: 'cs_overlap_same' },
    ]);
    const ledger = await t.db.query(`SELECT status, error FROM stripe_webhook_events WHERE event_id = ANY($1::varchar[]) ORDER BY error NULLS FIRST`, [[completed.id, paidLater.id]]);
    expect(ledger).toEqual([
      { status: 'processed', error: null },
      { status: 'processed', error: 'add-on of checkout session cs_overlap_same already exists' },
    ]);
  });

  it('gives a domain paid for by two vendors at once to one; the other is recorded needs_attention and reported once', async () => {
    const [a, b] = [await signUpVendor(t), await signUpVendor(t)];
    const events = [a, b].map((v) => double.makeEvent('checkout.session.completed', paidSession(`cs_overlap_${v.vendorId}`, v.vendorId, { addon_code: 'domain', domain_name: 'both.example.com' })));

    const statuses = await overlapping([a.vendorId, b.vendorId], events.map((e) => () => deliver(t, double, e)));

    expect(statuses).toEqual([200, 200]);
    const rows: { vendor_id: number; status: string; attention_reason: string | null }[] = await t.db.query(
      `SELECT vendor_id, status, attention_reason FROM vendor_add_ons WHERE domain_name = 'both.example.com' ORDER BY status`,
    );
    expect(rows.map((r) => r.status)).toEqual(['active', 'needs_attention']);
    const loser = rows[1];
    expect(loser.attention_reason).toContain('the domain both.example.com is held by another vendor');
    const ledger = await t.db.query(`SELECT status FROM stripe_webhook_events WHERE event_id = ANY($1::varchar[]) ORDER BY status`, [events.map((e) => e.id)]);
    expect(ledger.map((r: { status: string }) => r.status)).toEqual(['needs_attention', 'processed']);
    const reported = await t.db.query(`SELECT vendor_id, data FROM platform_events WHERE type = 'addon.needs_attention' AND vendor_id = ANY($1::int[])`, [[a.vendorId, b.vendorId]]);
    expect(reported).toEqual([{ vendor_id: loser.vendor_id, data: expect.objectContaining({ domain_name: 'both.example.com', reason: loser.attention_reason }) }]);
  });
});
