import pg from 'pg';
import type Stripe from 'stripe';
import { BILLING, endTrial, subscribedVendor, syncCatalog } from '../billing/billing-fixtures.js';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, eventRow, subscriptionRow, unix } from './webhook-fixtures.js';

/**
 * CONTRACT §6: an `invoice.*` event arriving before, with or after the `customer.subscription.created` of its
 * subscription has its effect — a first payment activates the plan whatever the order — and an old `invoice.paid`
 * never sets `active` over a newer `past_due`. Each vendor goes through the app's own Checkout and pays in the double;
 * Stripe's events of that first payment (the subscription created `incomplete`, as Checkout creates it, the paid
 * invoice, the completed Checkout), all of one second, are delivered signed in each order.
 */
describe('a first payment, whatever the order of its events', () => {
  const { t, double } = useStripeTestApp();
  const VENDORS = 8;

  beforeAll(async () => {
    await syncCatalog(t);
  });

  interface FirstPayment {
    vendor: SignedUpVendor;
    subscriptionId: string;
    created: Stripe.Event;
    paid: Stripe.Event;
    checkout: Stripe.Event;
  }

  /** A trial vendor opens a Checkout for business and pays it at Stripe; no event has been delivered yet. */
  const firstPayment = async (): Promise<FirstPayment> => {
    const vendor = await signUpVendor(t);
    await endTrial(t, vendor.vendorId);
    const checkout = await api(t, vendor.token).post(`${BILLING}/checkout`).send({ tier_code: 'business', is_annual: false });
    expect(checkout.status).toBe(200);
    const done = double.completeCheckout(checkout.body.session_id);
    const subscription = done.subscription!;
    const paid = done.events.find((e) => e.type === 'invoice.paid')!;
    // Checkout creates the subscription incomplete and activates it with the first payment, in the same second.
    const created = double.makeEvent('customer.subscription.created', { ...structuredClone(subscription), status: 'incomplete' }, { created: paid.created });
    return { vendor, subscriptionId: subscription.id, created, paid, checkout: done.event };
  };

  const send = async (event: Stripe.Event) => {
    const res = await deliver(t, double, event);
    expect(res.status).toBe(200);
  };

  const expectActiveOnBusiness = async (p: FirstPayment) => {
    const row = await subscriptionRow(t, p.vendor.vendorId);
    expect({ vendor: p.vendor.vendorId, status: row.status, tier: row.tier_code, subscription: row.stripe_subscription_id }).toEqual({
      vendor: p.vendor.vendorId, status: 'active', tier: 'business', subscription: p.subscriptionId,
    });
    const page = await api(t, p.vendor.token).get(`${BILLING}/subscription`);
    expect({ status: page.body.status, tier: page.body.tier.code }).toEqual({ status: 'active', tier: 'business' });
    for (const event of [p.created, p.paid]) {
      const ledger = await eventRow(t, event.id);
      if (ledger) expect({ id: event.id, status: ledger.status }).toEqual({ id: event.id, status: 'processed' });
    }
    const [bill] = await t.db.query(`SELECT status FROM billing_history WHERE stripe_invoice_id = $1`, [(p.paid.data.object as Stripe.Invoice).id]);
    expect(bill?.status).toBe('paid');
  };

  /** Runs `order` for VENDORS vendors at once and expects each to end active on business. */
  const eachVendor = async (order: (p: FirstPayment) => Promise<void>) => {
    const payments: FirstPayment[] = [];
    for (let i = 0; i < VENDORS; i++) payments.push(await firstPayment());
    await Promise.all(payments.map(order));
    for (const p of payments) await expectActiveOnBusiness(p);
  };

  /**
   * Holds the vendors' rows in a transaction of the test's own while `deliveries` start, and lets go once all of them
   * wait on a lock: each delivery's statement has taken its snapshot before either has written anything.
   */
  const overlapping = async (vendorIds: number[], deliveries: (() => Promise<void>)[]) => {
    const holder = new pg.Client({ connectionString: t.directDatabaseUrl });
    // Another session watches: inside the holder's transaction pg_stat_activity would stay the snapshot it first read.
    const watcher = new pg.Client({ connectionString: t.directDatabaseUrl });
    await holder.connect();
    await watcher.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM vendor_subscriptions WHERE vendor_id = ANY($1::int[]) FOR NO KEY UPDATE`, [vendorIds]);
      const answers = Promise.all(deliveries.map((d) => d()));
      try {
        for (let i = 0; ; i++) {
          const { rows: [{ waiting }] } = await watcher.query(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
          if (waiting >= deliveries.length) break;
          if (i > 1000) throw new Error(`only ${waiting} of ${deliveries.length} deliveries waited on the vendors' rows`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      } finally {
        await holder.query('COMMIT');
      }
      await answers;
    } finally {
      await holder.end();
      await watcher.end();
    }
  };

  it('created and paid delivered together (both statements begun before either wrote)', async () => {
    const payments: FirstPayment[] = [];
    for (let i = 0; i < VENDORS; i++) payments.push(await firstPayment());
    // Four vendors at a time: eight statements waiting at once, within the app's pool of ten.
    for (let i = 0; i < VENDORS; i += 4) {
      const batch = payments.slice(i, i + 4);
      await overlapping(batch.map((p) => p.vendor.vendorId), batch.flatMap((p) => [() => send(p.created), () => send(p.paid)]));
    }
    for (const p of payments) await expectActiveOnBusiness(p);
  });

  it('paid, then created', async () => {
    await eachVendor(async (p) => {
      await send(p.paid);
      await send(p.created);
    });
  });

  it('created, then paid', async () => {
    await eachVendor(async (p) => {
      await send(p.created);
      await send(p.paid);
    });
  });

  it('an invoice before the checkout link (no vendor on the invoice, the customer not linked yet), then created', async () => {
    await eachVendor(async (p) => {
      // An endpoint on an older API version: the invoice names its subscription, but carries no metadata.
      const paid = structuredClone(p.paid);
      const invoice = paid.data.object as Stripe.Invoice;
      if (invoice.parent?.subscription_details) invoice.parent.subscription_details.metadata = null;
      p.paid = paid;
      await send(paid);
      await send(p.created);
    });
  });

  it('paid, the checkout.session.completed, then created; and all three at once', async () => {
    await eachVendor(async (p) => {
      await send(p.paid);
      await send(p.checkout);
      await send(p.created);
    });
    await eachVendor((p) => Promise.all([send(p.created), send(p.paid), send(p.checkout)]).then(() => undefined));
  });

  it('an old invoice.paid delivered after a newer past_due keeps past_due', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    // Both after the /sync that linked the subscription (a read stamps its second): the invoice at +30 s, past_due at +90 s.
    const now = unix(new Date());
    const old = double.createInvoice({ subscription: v.subscriptionId, billing_reason: 'subscription_cycle', created: now + 30 });
    const oldPaid = double.makeEvent('invoice.paid', old, { created: now + 30 });
    double.updateSubscriptionState(v.subscriptionId, { status: 'past_due' });
    const pastDue = double.makeEvent('customer.subscription.updated', double.state.subscriptions.get(v.subscriptionId)!, { created: now + 90 });

    await send(pastDue);
    expect((await subscriptionRow(t, v.vendorId)).status).toBe('past_due');
    await send(oldPaid);

    const row = await subscriptionRow(t, v.vendorId);
    expect(row.status).toBe('past_due');
    expect(row.past_due_since).not.toBeNull();
    expect((await eventRow(t, oldPaid.id)).status).toBe('processed');
    // The payment itself is recorded.
    const [bill] = await t.db.query(`SELECT status FROM billing_history WHERE stripe_invoice_id = $1`, [old.id]);
    expect(bill.status).toBe('paid');
  });

  it('a newer invoice.paid after a past_due sets active', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    const now = unix(new Date());
    double.updateSubscriptionState(v.subscriptionId, { status: 'past_due' });
    await send(double.makeEvent('customer.subscription.updated', double.state.subscriptions.get(v.subscriptionId)!, { created: now + 30 }));
    expect((await subscriptionRow(t, v.vendorId)).status).toBe('past_due');
    const retry = double.createInvoice({ subscription: v.subscriptionId, billing_reason: 'subscription_cycle', created: now + 90 });
    await send(double.makeEvent('invoice.paid', retry, { created: now + 90 }));

    expect((await subscriptionRow(t, v.vendorId)).status).toBe('active');
  });
});
