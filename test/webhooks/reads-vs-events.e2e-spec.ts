import { StripeStatusSyncService } from '@app/billing';
import { BILLING, subscribedVendor, subscriptionRow, syncCatalog, type SubscribedVendor } from '../billing/billing-fixtures.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, eventRow, unix } from './webhook-fixtures.js';

/**
 * CONTRACT §6: a read of Stripe (`/sync`, reconciliation) never overwrites an event applied after the read began.
 * The double answers the read at once but holds the answer back; meanwhile Stripe moves the subscription to
 * past_due and its event, stamped with the very second the read began, is delivered and applied. The read's older
 * `active` must not be written back, and the skip is counted.
 */
describe('reads of Stripe never undo an event applied after they began', () => {
  const { t, double } = useStripeTestApp();

  beforeAll(async () => {
    await syncCatalog(t);
  });

  /** A paying vendor, linked by /sync in an earlier second than anything the test does next. */
  const payingVendor = async (): Promise<SubscribedVendor> => {
    const v = await subscribedVendor(t, double, 'professional');
    // The /sync that linked it stamped its second: the test's event must be of a later second to be applied at all.
    const linkedIn = unix(new Date());
    while (unix(new Date()) === linkedIn) await new Promise((resolve) => setTimeout(resolve, 20));
    return v;
  };

  /** Waits until the double has received a request matching `method` and `path` since request number `from`. */
  const received = async (from: number, method: string, path: RegExp) => {
    const seen = () => double.requests.slice(from).some((r) => r.method === method && path.test(r.path));
    for (let i = 0; i < 1000 && !seen(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    if (!seen()) throw new Error(`the double never received ${method} ${path}`);
  };

  /** Stripe moves the subscription to past_due and its event (of `second`) is delivered and applied. */
  const pastDueMeanwhile = async (v: SubscribedVendor, second: number) => {
    double.updateSubscriptionState(v.subscriptionId, { status: 'past_due' });
    const event = double.makeEvent('customer.subscription.updated', double.state.subscriptions.get(v.subscriptionId)!, { created: second, previous_attributes: { status: 'active' } });
    expect((await deliver(t, double, event)).status).toBe(200);
    expect((await eventRow(t, event.id)).status).toBe('processed');
    expect((await subscriptionRow(t, v.vendorId)).status).toBe('past_due');
  };

  it('the reconciliation: its page of subscriptions, read before a past_due event of the same second was applied, is skipped and counted', async () => {
    const v = await payingVendor();
    const second = unix(new Date());
    double.delayNext({ method: 'GET', path: /^\/v1\/subscriptions$/, ms: 5000, hold: 'answer' });
    const from = double.requests.length;
    let finished = false;
    const run = t.app.get(StripeStatusSyncService).reconcile().finally(() => (finished = true));

    await received(from, 'GET', /^\/v1\/subscriptions$/);
    await pastDueMeanwhile(v, second);
    expect(finished).toBe(false); // the read's answer is still held: the event was applied after the read began
    const result = await run;

    const row = await subscriptionRow(t, v.vendorId);
    expect(row.status).toBe('past_due');
    expect(result.details).toMatchObject({ subscriptions_drifted: 0, reads_skipped: 1 });
    expect(result.details?.drift).toEqual({});

    // The next run reads after the event: it finds Stripe and the row agreeing, and skips nothing.
    const again = await t.app.get(StripeStatusSyncService).reconcile();
    expect(again.details).toMatchObject({ subscriptions_drifted: 0, reads_skipped: 0 });
    expect((await subscriptionRow(t, v.vendorId)).status).toBe('past_due');
  });

  it('/sync: a read held back while a past_due event of its second is applied does not write active back', async () => {
    const v = await payingVendor();
    const second = unix(new Date());
    const path = new RegExp(`^/v1/subscriptions/${v.subscriptionId}$`);
    double.delayNext({ method: 'GET', path, ms: 5000, hold: 'answer' });
    const from = double.requests.length;
    let finished = false;
    const sync = api(t, v.token).post(`${BILLING}/sync`).send({}).then((r) => {
      finished = true;
      return r;
    });

    await received(from, 'GET', path);
    await pastDueMeanwhile(v, second);
    expect(finished).toBe(false);
    const res = await sync;

    expect(res.status).toBe(200);
    expect(res.body.status).toBe('past_due');
    expect((await subscriptionRow(t, v.vendorId)).status).toBe('past_due');

    // A read that begins after the event applies as before.
    double.updateSubscriptionState(v.subscriptionId, { status: 'active' });
    const later = await api(t, v.token).post(`${BILLING}/sync`).send({});
    expect(later.body.status).toBe('active');
  });
});
