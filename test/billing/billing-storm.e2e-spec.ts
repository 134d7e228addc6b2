import type Stripe from 'stripe';
import { deliver } from '../webhooks/webhook-fixtures.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { BILLING, endTrial, subscribedVendor, type SubscribedVendor } from './billing-fixtures.js';

/** A small seeded PRNG (mulberry32), so a failing storm can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const VENDORS = 20;
/** Vendors whose first payment is in flight when the storm starts: only Stripe's events and reads link them. */
const FIRST_PAYERS = 6;
/**
 * Trial vendors who open a monthly plan Checkout and then an annual one (the product expires the first at Stripe).
 * The even ones pay the monthly link just before the annual one opens, before its expiry lands: two plan
 * subscriptions go live. The odd ones can no longer pay it and pay the annual one.
 */
const TWO_CHECKOUTS = 6;
const ACTIONS = 300;
/**
 * The hourly reconciliation is due every this many actions and runs beside the other lanes' operations; one run at
 * a time, as the job runner's lock allows (a run due while one is going is skipped, as the runner skips it).
 */
const RECONCILE_EVERY = 30;
const CONCURRENCY = 6;
const TIERS = ['essential', 'professional', 'business'] as const;
const STATUS: Record<string, string> = { active: 'active', trialing: 'trial', past_due: 'past_due', unpaid: 'past_due', canceled: 'cancelled' };

interface TwoCheckoutVendor extends SignedUpVendor {
  /** The plan subscriptions that went live: [monthly, annual] for the even ones, [annual] for the odd ones. */
  live: string[];
}

/** The subscription an event of ours is about (a subscription, an invoice of one, a completed Checkout of one). */
function subscriptionOf(event: Stripe.Event): string | undefined {
  const object = event.data.object as { id?: string; subscription?: string; parent?: { subscription_details?: { subscription?: string } } };
  if (event.type.startsWith('customer.subscription.')) return object.id;
  if (event.type.startsWith('invoice.')) return object.parent?.subscription_details?.subscription;
  if (event.type === 'checkout.session.completed') return object.subscription;
  return undefined;
}

/**
 * CONTRACT §5 as a property: 20 vendors, a few hundred random interleavings of tier changes, cancels, reactivations,
 * syncs, product creates and webhook deliveries (duplicated and reordered), with Stripe answering late at random.
 * Six more vendors have just paid their first Checkout: the events of that payment (the subscription created
 * `incomplete`, the paid invoice, the completed Checkout) are delivered in any order among the rest, and the hourly
 * reconciliation runs in the middle (one run at a time) beside the other lanes. Six trial vendors opened two plan
 * Checkouts; for three both were paid, and the events of both subscriptions arrive in any order among the rest,
 * while the vendor takes orders. At the end, with no sync run, every vendor's tier, interval, status, cancel flag
 * and period equal those of its plan at Stripe — for a vendor with two, the one its row linked first, the other
 * recorded `needs_attention` once with one `subscription.needs_attention` platform event; no commit ever moved a
 * row from one subscription to another or reset a linked row's order counter (triggers record every row version
 * that would), and none left a vendor's usage above its tier's limits.
 */
describe('billing storm: local state equals Stripe after random concurrent operations and webhooks', () => {
  const { t, double } = useStripeTestApp();

  beforeAll(async () => {
    await t.app.get((await import('@app/billing')).CatalogSyncService).syncCatalog();
    await t.db.query(`CREATE TABLE storm_violations (vendor_id int, tier_code text, products_count int, products_limit int, at timestamptz DEFAULT clock_timestamp())`);
    await t.db.query(`CREATE FUNCTION storm_check() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE lim int;
      BEGIN
        SELECT products_limit INTO lim FROM subscription_tiers WHERE code = NEW.tier_code;
        IF lim IS NOT NULL AND NEW.products_count > lim THEN
          INSERT INTO storm_violations (vendor_id, tier_code, products_count, products_limit) VALUES (NEW.vendor_id, NEW.tier_code, NEW.products_count, lim);
        END IF;
        RETURN NEW;
      END $$`);
    await t.db.query(`CREATE TRIGGER storm_check AFTER INSERT OR UPDATE ON vendor_subscriptions FOR EACH ROW EXECUTE FUNCTION storm_check()`);
    // A linked row that moves to another subscription, or whose order counter goes down (a period reset), is a
    // second plan applied over the first: no period moves in the storm.
    await t.db.query(`CREATE TABLE storm_moves (vendor_id int, from_subscription text, to_subscription text, orders_before int, orders_after int)`);
    await t.db.query(`CREATE FUNCTION storm_move() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.stripe_subscription_id IS NOT NULL AND (NEW.stripe_subscription_id IS DISTINCT FROM OLD.stripe_subscription_id OR NEW.orders_this_period < OLD.orders_this_period) THEN
          INSERT INTO storm_moves VALUES (NEW.vendor_id, OLD.stripe_subscription_id, NEW.stripe_subscription_id, OLD.orders_this_period, NEW.orders_this_period);
        END IF;
        RETURN NEW;
      END $$`);
    await t.db.query(`CREATE TRIGGER storm_move AFTER UPDATE ON vendor_subscriptions FOR EACH ROW EXECUTE FUNCTION storm_move()`);
  });

  it('ends with drift 0 and never above a limit', async () => {
    const seed = Number(process.env.STORM_SEED ?? 20261202);
    const random = prng(seed);
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

    const vendors: SubscribedVendor[] = [];
    for (let i = 0; i < VENDORS; i++) vendors.push(await subscribedVendor(t, double, pick(TIERS)));
    // Half the vendors sit just under Essential's 200 products, so downgrades race creates at the limit.
    for (const v of vendors.slice(0, VENDORS / 2)) {
      await t.db.query(`INSERT INTO products (vendor_id, name, price_cents) SELECT $1, 'seed ' || g, 100 FROM generate_series(1, 196) g`, [v.vendorId]);
      await t.db.query(`UPDATE vendor_subscriptions SET products_count = products_count + 196 WHERE vendor_id = $1`, [v.vendorId]);
    }
    const firstPayers: SubscribedVendor[] = [];
    for (let i = 0; i < FIRST_PAYERS; i++) {
      const v = await signUpVendor(t);
      await endTrial(t, v.vendorId);
      const checkout = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: pick(TIERS), is_annual: false });
      expect(checkout.status).toBe(200);
      const paid = double.completeCheckout(checkout.body.session_id);
      // Checkout creates the subscription incomplete and activates it with the payment, in the same second (the
      // double records it created active: that event is replaced). Half the endpoints do not hear Checkout events.
      for (const e of paid.events) if (e.type === 'customer.subscription.created' || (i % 2 === 1 && e.type === 'checkout.session.completed')) double.state.events.delete(e.id);
      double.makeEvent('customer.subscription.created', { ...structuredClone(paid.subscription!), status: 'incomplete' }, { created: paid.event.created });
      firstPayers.push({ ...v, subscriptionId: paid.subscription!.id, customerId: paid.subscription!.customer as string });
    }
    const twoCheckouts: TwoCheckoutVendor[] = [];
    for (let i = 0; i < TWO_CHECKOUTS; i++) {
      const v = await signUpVendor(t);
      const open = async (isAnnual: boolean) => {
        const res = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: pick(TIERS), is_annual: isAnnual });
        expect(res.status).toBe(200);
        return res.body.session_id as string;
      };
      const monthly = await open(false);
      const first = i % 2 === 0 ? double.completeCheckout(monthly) : null;
      const annual = await open(true);
      expect(double.state.sessions.get(monthly)!.status).toBe(first ? 'complete' : 'expired');
      if (!first) expect(() => double.completeCheckout(monthly)).toThrow(/expired/);
      const second = double.completeCheckout(annual);
      twoCheckouts.push({ ...v, live: [...(first ? [first.subscription!.id] : []), second.subscription!.id] });
    }
    const ours = new Set([...vendors, ...firstPayers].map((v) => v.subscriptionId).concat(twoCheckouts.flatMap((v) => v.live)));
    const eventsOfOurs = () => [...double.state.events.values()].filter((e) => ours.has(subscriptionOf(e as Stripe.Event) ?? ''));
    const eventsOf = (subscriptions: string[]) => eventsOfOurs().filter((e) => subscriptions.includes(subscriptionOf(e as Stripe.Event) ?? ''));
    const deliverSome = async (event: object) => (await Promise.all(Array.from({ length: random() < 0.5 ? 2 : 1 }, () => deliver(t, double, event)))).map((a) => a.status).join('+');
    const reconciliation = t.app.get((await import('@app/billing')).StripeStatusSyncService);
    let reconciling = false;

    const act = async (n: number): Promise<string> => {
      if (n % RECONCILE_EVERY === RECONCILE_EVERY / 2 && !reconciling) {
        reconciling = true;
        try {
          return `reconcile ${(await reconciliation.reconcile()).rowsAffected}`;
        } finally {
          reconciling = false;
        }
      }
      // The first payers only pay: their plan comes from Stripe's events and reads (no operation of theirs).
      if (random() < 0.1) return `first payment ${await deliverSome(pick(eventsOf([pick(firstPayers).subscriptionId])))}`;
      // The vendors of two Checkouts: the events of both their subscriptions, and orders, which count in the period.
      if (random() < 0.1) {
        const v = pick(twoCheckouts);
        if (random() < 0.6) return `two checkouts ${await deliverSome(pick(eventsOf(v.live)))}`;
        return `order ${(await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 100 })).status}`;
      }
      const v = pick(vendors);
      const billing = api(t, v.token);
      if (random() < 0.25) double.delayNext({ method: 'POST', path: '/v1/subscriptions/', ms: Math.floor(random() * 400), hold: random() < 0.5 ? 'answer' : 'before' });
      const r = random();
      if (r < 0.3) return `change-tier ${(await billing.post(`${BILLING}/change-tier`).send({ tier_code: pick(TIERS), is_annual: false })).status}`;
      if (r < 0.4) return `cancel ${(await billing.post(`${BILLING}/cancel`).send({})).status}`;
      if (r < 0.5) return `reactivate ${(await billing.post(`${BILLING}/reactivate`).send({})).status}`;
      if (r < 0.55) return `sync ${(await billing.post(`${BILLING}/sync`).send({})).status}`;
      if (r < 0.75) return `product ${(await billing.post('/api/v1/vendor/products').send({ name: 'storm', price_cents: 100 })).status}`;
      const events = eventsOfOurs();
      if (events.length === 0) return 'no events';
      const event = pick(events);
      const times = random() < 0.3 ? 2 : 1;
      const answers = await Promise.all(Array.from({ length: times }, () => deliver(t, double, event as Stripe.Event)));
      return `webhook ${answers.map((a) => a.status).join('+')}`;
    };

    const outcomes: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < ACTIONS) outcomes.push(await act(next++));
    }));
    // Every event Stripe emitted, delivered once more in a random order, three at a time, as Stripe's retries would.
    const all = eventsOfOurs().sort(() => random() - 0.5);
    const redelivered = await Promise.all([0, 1, 2].map(async (lane) => {
      const answers: number[] = [];
      for (const event of all.filter((_, i) => i % 3 === lane)) answers.push((await deliver(t, double, event)).status);
      return answers;
    }));
    expect(redelivered.flat().filter((status) => status !== 200)).toEqual([]);

    expect(outcomes.filter((o) => /\b5\d\d\b/.test(o))).toEqual([]);
    const reconciled = outcomes.filter((o) => o.startsWith('reconcile')).length;
    expect(reconciled).toBeGreaterThan(0);
    const drift: unknown[] = [];
    const attention: unknown[] = [];
    const expectedAttention: unknown[] = [];
    for (const v of [...vendors, ...firstPayers, ...twoCheckouts]) {
      const [row] = await t.db.query(
        `SELECT stripe_subscription_id, tier_code, is_annual, status, cancel_at_period_end, period_start, period_end, pending_tier_code FROM vendor_subscriptions WHERE vendor_id = $1`, [v.vendorId],
      );
      const { stripe_subscription_id: plan, ...state } = row;
      // A vendor with two live plan subscriptions follows the one its row linked first (whichever's event or read
      // came first); the other is reported once, and moved nothing.
      const live = 'live' in v ? v.live : [v.subscriptionId];
      const other = live.filter((id) => id !== plan);
      const reported = other.length === 0 ? { ledger: [], platform: [] } : {
        ledger: (await t.db.query(`SELECT error FROM stripe_webhook_events WHERE status = 'needs_attention' AND payload::text LIKE $1`, [`%${other[0]}%`])).map((r: { error: string }) => r.error),
        platform: await t.db.query(`SELECT data FROM platform_events WHERE vendor_id = $1 AND type = 'subscription.needs_attention'`, [v.vendorId]),
      };
      const expectedReport = other.length === 0 ? { ledger: [], platform: [] } : {
        ledger: [`subscription ${other[0]} is a second live plan subscription of the vendor, whose plan follows ${plan}; not applied`],
        platform: [{ data: { stripe_subscription_id: other[0], reason: expect.stringContaining(`plan follows ${plan}`) } }],
      };
      attention.push({ vendor: v.vendorId, linked: live.includes(plan), reported });
      expectedAttention.push({ vendor: v.vendorId, linked: true, reported: expectedReport });
      const stripe = double.state.subscriptions.get(live.includes(plan) ? plan : live[0])!;
      // The plan's item (a tier that prices overage adds a metered item beside it).
      const item = stripe.items.data.find((i) => i.price.recurring?.usage_type !== 'metered')!;
      const [tier] = await t.db.query(`SELECT code FROM subscription_tiers WHERE stripe_price_monthly_id = $1 OR stripe_price_annual_id = $1`, [item.price.id]);
      const expected = {
        tier_code: tier.code, is_annual: item.price.recurring!.interval === 'year', status: STATUS[stripe.status], cancel_at_period_end: stripe.cancel_at_period_end,
        period_start: item.current_period_start, period_end: item.current_period_end, pending_tier_code: null,
      };
      const actual = { ...state, period_start: Math.floor(state.period_start.getTime() / 1000), period_end: Math.floor(state.period_end.getTime() / 1000) };
      if (JSON.stringify(actual) !== JSON.stringify(expected)) drift.push({ vendor: v.vendorId, expected, actual });
    }
    expect({ seed, reconciled, drift }).toEqual({ seed, reconciled, drift: [] });
    expect({ seed, attention }).toEqual({ seed, attention: expectedAttention });
    expect(await t.db.query(`SELECT * FROM storm_moves`)).toEqual([]);
    // The orders counted (so a reset would have shown), and only the two reported subscriptions were reported.
    expect(outcomes.filter((o) => o === 'order 201').length).toBeGreaterThan(0);
    const [{ reports }] = await t.db.query(`SELECT count(*)::int AS reports FROM platform_events WHERE type = 'subscription.needs_attention'`);
    expect(reports).toBe(twoCheckouts.filter((v) => v.live.length === 2).length);
    expect(await t.db.query(`SELECT * FROM storm_violations`)).toEqual([]);
    const [{ off }] = await t.db.query(
      `SELECT count(*)::int AS off FROM vendor_subscriptions s WHERE s.products_count <> (SELECT count(*) FROM products p WHERE p.vendor_id = s.vendor_id)`,
    );
    expect(off).toBe(0);
  }, 180_000);
});
