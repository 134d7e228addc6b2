import type { StripeStamp, StripeSubscriptionPatch } from '@app/subscription';
import { insertSubscription } from './subscription-rows.js';
import { prepareWorkerEnvironment, startWorkerContext, type WorkerContext } from './worker-context.js';

const DAY_MS = 86_400_000;

/**
 * The reconciliation trusts `diffStripeSubscriptions` to say, for a page of patches at once, what
 * `applyStripeSubscription` would do with each: a row it calls `matches` is never written. Both read one set of
 * rules; this pins that they agree, case by case, on the rules that depend on the row.
 */
describe('SubscriptionWriter.diffStripeSubscriptions answers what applyStripeSubscription does', () => {
  let w: WorkerContext;
  const now = Math.floor(Date.now() / 1000) * 1000;
  const start = new Date(now - 5 * DAY_MS);
  const end = new Date(now + 25 * DAY_MS);
  const read: StripeStamp = { kind: 'read', at: new Date(now) };

  beforeAll(async () => {
    await prepareWorkerEnvironment();
    w = await startWorkerContext();
    await w.db.query(`UPDATE subscription_tiers SET stripe_price_monthly_id = 'price_' || code, stripe_price_annual_id = 'price_' || code || '_year'`);
  });
  afterAll(() => w.close());

  /** A vendor whose row is linked to `sub_<n>` / `cus_<n>` on essential, and a patch that says exactly that. */
  async function linked(n: number, row: Record<string, unknown> = {}) {
    const { vendorId } = await insertSubscription(w.db, { status: 'active', period_start: start, period_end: end, has_payment_method: true, stripe_subscription_id: `sub_${n}`, stripe_customer_id: `cus_${n}`, stripe_price_id: 'price_essential' });
    for (const [column, value] of Object.entries(row)) await w.db.query(`UPDATE vendor_subscriptions SET ${column} = $2 WHERE vendor_id = $1`, [vendorId, value]);
    const patch: StripeSubscriptionPatch = {
      subscriptionId: `sub_${n}`, customerId: `cus_${n}`, vendorId, priceId: 'price_essential', priceAmountCents: null, priceIds: ['price_essential'], tierCode: null, isAnnual: false, status: 'active', ended: false,
      trialEndsAt: null, period: { start, end }, cancelAtPeriodEnd: false, cancelAt: null, cancelledAt: null, endedAt: null, hasPaymentMethod: true,
    };
    return { vendorId, patch };
  }

  it('agrees on matching, drifted, stale, tied, not current, second live and unknown subscriptions', async () => {
    const later = new Date(now + 30 * DAY_MS);
    const cases: { name: string; expected: string; patch: StripeSubscriptionPatch; stamp?: StripeStamp }[] = [];
    const add = async (name: string, expected: string, change: (p: StripeSubscriptionPatch, vendorId: number) => Partial<StripeSubscriptionPatch>, row?: Record<string, unknown>, stamp?: StripeStamp) => {
      const { vendorId, patch } = await linked(cases.length + 1, row);
      cases.push({ name, expected, patch: { ...patch, ...change(patch, vendorId) }, stamp });
    };
    await add('the same', 'matches', () => ({}));
    await add('a weaker payment-method signal', 'matches', () => ({ hasPaymentMethod: false }));
    await add('no price: the tier stays', 'matches', () => ({ priceId: null, priceIds: [], isAnnual: null }));
    await add('an unknown metadata tier', 'matches', () => ({ tierCode: 'no_such_tier' }));
    await add('an older period of the same subscription', 'matches', () => ({ period: { start: new Date(start.getTime() - 30 * DAY_MS), end: start } }));
    await add('past_due again (the grace keeps its start)', 'matches', () => ({ status: 'past_due' }), { status: 'past_due', past_due_since: new Date(now - DAY_MS) });
    await add('Stripe status unknown to us (incomplete)', 'matches', () => ({ status: null }));
    await add('a trial with its end', 'matches', () => ({ status: 'trial', trialEndsAt: end }), { status: 'trial', trial_ends_at: end });
    await add('past_due', 'differs', () => ({ status: 'past_due' }));
    await add('out of past_due', 'differs', () => ({ status: 'active' }), { status: 'past_due', past_due_since: new Date(now - DAY_MS), payment_retry_count: 2 });
    await add('another tier by price', 'differs', () => ({ priceId: 'price_professional', priceIds: ['price_professional'] }));
    await add('annual by price', 'differs', () => ({ priceId: 'price_essential_year', priceIds: ['price_essential_year'], isAnnual: true }));
    await add('a known metadata tier, no price', 'differs', () => ({ priceId: null, priceIds: [], tierCode: 'business' }));
    await add('the next period', 'differs', () => ({ period: { start: end, end: later } }), { orders_this_period: 3 });
    await add('cancel at period end', 'differs', () => ({ cancelAtPeriodEnd: true, cancelledAt: new Date(now) }));
    await add('ended now', 'differs', () => ({ status: 'cancelled', ended: true, cancelledAt: new Date(now), endedAt: new Date(now) }));
    await add('a second live subscription of the vendor', 'second_live', (p) => ({ subscriptionId: `${p.subscriptionId}_new` }));
    await add('a new subscription after the plan ended', 'differs', (p) => ({ subscriptionId: `${p.subscriptionId}_new` }), { status: 'cancelled' });
    await add('found by customer, not linked yet', 'differs', (p) => ({ subscriptionId: `${p.subscriptionId}_first`, vendorId: null }), { stripe_subscription_id: null });
    await add('older than the last event', 'stale', () => ({ status: 'past_due' }), { stripe_watermark: new Date(now + 60_000) });
    await add('the same second as an event', 'tie', () => ({ status: 'past_due' }), { stripe_watermark: new Date(now) }, { kind: 'event', at: new Date(now) });
    await add('an ended subscription that is not the current one', 'not_current', (p) => ({ subscriptionId: `${p.subscriptionId}_old`, status: 'cancelled', ended: true }));
    await add('nobody of ours', 'not_found', (p) => ({ subscriptionId: `${p.subscriptionId}_x`, customerId: 'cus_unknown', vendorId: null }));
    const addOnOwner = await linked(cases.length + 1);
    await w.db.query(
      `INSERT INTO vendor_add_ons (vendor_id, add_on_product_id, status, stripe_subscription_id) SELECT $1, id, 'active', 'sub_addon' FROM add_on_products WHERE code = 'email_5'`,
      [addOnOwner.vendorId],
    );
    cases.push({ name: "an add-on's subscription of a customer of ours", expected: 'not_found', patch: { ...addOnOwner.patch, subscriptionId: 'sub_addon', vendorId: null } });

    const { SubscriptionWriter } = await import('@app/subscription');
    const writer = w.app.get(SubscriptionWriter);
    const diffs = await writer.diffStripeSubscriptions(w.db.manager, cases.map((c) => ({ patch: c.patch, stamp: c.stamp ?? read })));

    const applied: string[] = [];
    for (const c of cases) {
      const runner = w.db.createQueryRunner();
      await runner.startTransaction();
      try {
        const r = await writer.applyStripeSubscription(runner.manager, c.patch, c.stamp ?? read);
        applied.push(`${c.name}: ${r.outcome === 'applied' ? (r.changed.length > 0 ? 'differs' : 'matches') : r.outcome}`);
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    }
    const expected = cases.map((c) => `${c.name}: ${c.expected}`);
    expect(applied).toEqual(expected);
    expect(cases.map((c, i) => `${c.name}: ${diffs[i].outcome}`)).toEqual(expected);
  });
});
