// Price changes without surprises (CONTRACT §11): a tier's new price is a new Stripe price and paying vendors keep
// theirs; the preview counts who moves and the MRR change; a migration tells each vendor once and has Stripe bill
// the new price from its first renewal past the notice (a subscription schedule), through a Stripe outage and a
// worker that died after Stripe answered; other tiers and intervals are untouched; bad input changes nothing.
import { PriceMigrationRunner } from '@app/subscription';
import type Stripe from 'stripe';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver, stripeClient } from '../webhooks/webhook-fixtures.js';
import { BILLING, subscribedVendor, syncCatalog, type SubscribedVendor } from './billing-fixtures.js';

const MIGRATIONS = '/api/v1/admin/price-migrations';
const DAY = 86_400_000;

describe('price changes and migrations', () => {
  const { t, double } = useStripeTestApp({ ...ADMIN_ENV, PRICE_MIGRATION_REQUESTS_PER_SECOND: '500', PRICE_MIGRATION_EXPAND_BATCH_SIZE: '2', PRICE_MIGRATION_CONCURRENCY: '1', STRIPE_MAX_NETWORK_RETRIES: '2' });
  let admin: string;
  let runner: PriceMigrationRunner;
  let monthly: SubscribedVendor[];
  let trialing: SubscribedVendor;
  let annual: SubscribedVendor;
  let otherTier: SubscribedVendor;
  let oldPrice: string;

  beforeAll(async () => {
    admin = await adminToken(t);
    runner = t.app.get(PriceMigrationRunner);
    const prices = await syncCatalog(t);
    oldPrice = prices.professional.month;
    monthly = [];
    for (let i = 0; i < 3; i++) monthly.push(await subscribedVendor(t, double, 'professional'));
    trialing = await subscribedVendor(t, double, 'professional', { trial: true });
    annual = await subscribedVendor(t, double, 'professional', { isAnnual: true });
    otherTier = await subscribedVendor(t, double, 'essential');
  });

  const subscriptionOf = async (v: SubscribedVendor) => (await api(t, v.token).get(`${BILLING}/subscription`)).body;
  const priceChangingEvents = () => t.db.query(`SELECT vendor_id, data FROM platform_events WHERE type = 'subscription.price_changing' ORDER BY vendor_id, id`);
  const schedulesOf = (subscriptionId: string) => [...double.state.schedules.values()].filter((s) => s.subscription === subscriptionId || s.released_subscription === subscriptionId);

  it('a price change makes a new Stripe price for new Checkouts; paying vendors keep (and see) the price they pay', async () => {
    expect((await subscriptionOf(monthly[0])).price).toEqual({ amount_cents: 9900, currency: 'eur', stripe_price_id: oldPrice, grandfathered: false });

    const patched = await api(t, admin).patch('/api/v1/admin/subscription-tiers/professional').send({ price_monthly_cents: 10900 });

    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ price_monthly_cents: 10900 });
    const newPrice: string = patched.body.stripe_price_monthly_id;
    expect(newPrice).not.toBe(oldPrice);
    expect(double.state.prices.get(newPrice)).toMatchObject({ unit_amount: 10900, active: true, lookup_key: 'tier:professional:month' });
    expect(double.state.prices.get(oldPrice)).toMatchObject({ unit_amount: 9900, active: false }); // archived, never edited
    // Grandfathered: the vendor's Stripe subscription still bills the old price, and both views say so.
    expect((await subscriptionOf(monthly[0])).price).toEqual({ amount_cents: 9900, currency: 'eur', stripe_price_id: oldPrice, grandfathered: true });
    const detail = await api(t, admin).get(`/api/v1/admin/vendors/${monthly[0].vendorId}`);
    expect(detail.body.subscription.price).toMatchObject({ amount_cents: 9900, grandfathered: true });
    expect(double.state.subscriptions.get(monthly[0].subscriptionId)!.items.data[0].price.id).toBe(oldPrice);

    // A new vendor's Checkout sells the new price.
    const newcomer = await subscribedVendor(t, double, 'professional');
    expect(double.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.params).toMatchObject({ line_items: [{ price: newPrice }] });
    expect((await subscriptionOf(newcomer)).price).toEqual({ amount_cents: 10900, currency: 'eur', stripe_price_id: newPrice, grandfathered: false });
    monthly.push(newcomer); // on the new price: never moves
  });

  it('previews who moves, from what to what, when, and the MRR change, changing nothing', async () => {
    const before = await t.db.query(`SELECT (SELECT count(*) FROM price_migrations) AS migrations, (SELECT count(*) FROM platform_events) AS events`);
    const res = await api(t, admin).post(MIGRATIONS).send({ tier_code: 'professional', is_annual: false, notice_days: 40, dry_run: true });

    expect(res.status).toBe(200);
    // Three paying vendors and a trial on the old monthly price; the trial counts nothing in MRR (revenue's monthly value).
    expect(res.body).toMatchObject({ tier_code: 'professional', is_annual: false, new_amount_cents: 10900, vendors: 4, mrr_change_cents: 3 * 1000, unknown_amount_vendors: 0 });
    expect(res.body.from_prices).toEqual([{ old_price_id: oldPrice, old_amount_cents: 9900, vendors: 4 }]);
    const moving = [...monthly.slice(0, 3), trialing].map((v) => v.vendorId).sort((a, b) => a - b);
    expect(res.body.sample.map((s: { vendor_id: number }) => s.vendor_id)).toEqual(moving);
    for (const s of res.body.sample) {
      expect(s).toMatchObject({ old_amount_cents: 9900, new_amount_cents: 10900 });
      const ahead = new Date(s.effective_at).getTime() - Date.now();
      expect(ahead).toBeGreaterThanOrEqual(40 * DAY - 60_000);
      expect(ahead).toBeLessThan(40 * DAY + 32 * DAY);
    }
    // The renewal: the first period end (plus whole months) at least 40 days ahead.
    const [row] = await t.db.query(`SELECT period_end FROM vendor_subscriptions WHERE vendor_id = $1`, [monthly[0].vendorId]);
    const periodEnd = new Date(row.period_end).getTime();
    const first = res.body.sample.find((s: { vendor_id: number }) => s.vendor_id === monthly[0].vendorId);
    expect(periodEnd - Date.now()).toBeLessThan(40 * DAY);
    expect(new Date(first.effective_at).getUTCDate()).toBe(new Date(periodEnd).getUTCDate());

    expect((await api(t, admin).post(MIGRATIONS).send({ tier_code: 'professional', is_annual: true, notice_days: 0, dry_run: true })).body).toMatchObject({ vendors: 0, mrr_change_cents: 0, sample: [] });
    expect(await t.db.query(`SELECT (SELECT count(*) FROM price_migrations) AS migrations, (SELECT count(*) FROM platform_events) AS events`)).toEqual(before);
  });

  it('refuses bad input and other roles, scheduling nothing', async () => {
    const valid = { tier_code: 'professional', is_annual: false, notice_days: 30 };
    const cases: Array<[object, number, string]> = [
      [{ ...valid, tier_code: 'nope' }, 404, 'TIER_NOT_FOUND'],
      [{ ...valid, notice_days: 366 }, 400, 'VALIDATION_FAILED'],
      [{ ...valid, notice_days: -1 }, 400, 'VALIDATION_FAILED'],
      [{ ...valid, notice_days: 1.5 }, 400, 'VALIDATION_FAILED'],
      [{ ...valid, notice_days: '30' }, 400, 'VALIDATION_FAILED'],
      [{ tier_code: 'professional', notice_days: 30 }, 400, 'VALIDATION_FAILED'],
      [{ ...valid, tier_code: 'enterprise' }, 400, 'STRIPE_PRICE_NOT_CONFIGURED'],
    ];
    for (const [body, status, code] of cases) {
      for (const dryRun of [true, false]) {
        const res = await api(t, admin).post(MIGRATIONS).send({ ...body, dry_run: dryRun });
        expect([res.status, res.body.error_code, JSON.stringify(body)]).toEqual([status, code, JSON.stringify(body)]);
      }
    }
    const vendor = await api(t, monthly[0].token).post(MIGRATIONS).send(valid);
    expect([vendor.status, vendor.body.error_code]).toEqual([403, 'FORBIDDEN']);
    expect((await api(t, monthly[0].token).get(`${MIGRATIONS}/1`)).status).toBe(403);
    const none = await api(t).post(MIGRATIONS).send(valid);
    expect([none.status, none.body.error_code]).toEqual([401, 'UNAUTHORIZED']);
    expect((await api(t, admin).get(`${MIGRATIONS}/999999`)).body.error_code).toBe('NOT_FOUND');
    expect((await api(t, admin).get(`${MIGRATIONS}/0x1`)).status).toBe(400);

    await runner.runUntilIdle();
    expect(await t.db.query(`SELECT count(*)::int AS n FROM price_migrations`)).toEqual([{ n: 0 }]);
    expect(await priceChangingEvents()).toEqual([]);
    expect(double.state.schedules.size).toBe(0);
  });

  it('tells each vendor once and schedules its new price from its first renewal past the notice, without proration', async () => {
    const res = await api(t, admin).post(MIGRATIONS).send({ tier_code: 'professional', is_annual: false, notice_days: 40 });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.any(Number), status: 'pending' });
    const id: number = res.body.id;
    // A second one of the same tier and interval while this one runs would tell everyone twice.
    expect((await api(t, admin).post(MIGRATIONS).send({ tier_code: 'professional', is_annual: false, notice_days: 10 })).status).toBe(409);

    // The listing goes two vendors a batch (PRICE_MIGRATION_EXPAND_BATCH_SIZE=2): after one, two are told.
    await runner.expandNextBatch();
    expect(await priceChangingEvents()).toHaveLength(2);
    expect((await api(t, admin).get(`${MIGRATIONS}/${id}`)).body).toMatchObject({ status: 'running', expanded: false, total: 2, pending: 2 });

    await runner.runUntilIdle();

    const progress = (await api(t, admin).get(`${MIGRATIONS}/${id}`)).body;
    expect(progress).toMatchObject({ id, status: 'completed', expanded: true, total: 4, scheduled: 4, failed: 0, pending: 0, errors: [], tier_code: 'professional', new_amount_cents: 10900 });
    const [{ new_price_id: newPrice }] = await t.db.query(`SELECT new_price_id FROM price_migrations WHERE id = $1`, [id]);
    const events = await priceChangingEvents();
    const moving = [...monthly.slice(0, 3), trialing];
    expect(events.map((e: { vendor_id: number }) => e.vendor_id)).toEqual(moving.map((v) => v.vendorId).sort((a, b) => a - b));
    for (const v of moving) {
      const event = events.find((e: { vendor_id: number }) => e.vendor_id === v.vendorId);
      expect(event.data).toEqual({ tier_code: 'professional', is_annual: false, old_amount_cents: 9900, new_amount_cents: 10900, currency: 'eur', effective_at: expect.any(String), migration_id: id });
      const effective = Math.floor(new Date(event.data.effective_at).getTime() / 1000);
      const [schedule, ...more] = schedulesOf(v.subscriptionId);
      expect(more).toEqual([]);
      expect(schedule).toMatchObject({ status: 'active', end_behavior: 'release', subscription: v.subscriptionId, metadata: { price_migration_id: String(id) } });
      expect(schedule.phases).toHaveLength(2);
      expect(schedule.phases[0]).toMatchObject({ end_date: effective, items: [expect.objectContaining({ price: oldPrice, quantity: 1 })] });
      expect(schedule.phases[1]).toMatchObject({ start_date: effective, proration_behavior: 'none', items: [expect.objectContaining({ price: newPrice, quantity: 1 })] });
      expect(double.state.subscriptions.get(v.subscriptionId)!.schedule).toBe(schedule.id);
      // The vendor sees it.
      expect((await subscriptionOf(v)).price_change).toEqual({ new_amount_cents: 10900, currency: 'eur', effective_at: event.data.effective_at });
    }
    // The trial stays a trial until it ends.
    const trialSchedule = schedulesOf(trialing.subscriptionId)[0];
    expect(trialSchedule.phases[0].trial_end).toBe(double.state.subscriptions.get(trialing.subscriptionId)!.trial_end);
    // Idempotency keys derived from the migration and the vendor.
    const keys = double.requestsTo('POST', '/v1/subscription_schedules').map((r) => r.idempotencyKey);
    expect(keys).toEqual(expect.arrayContaining(moving.flatMap((v) => [`price-migration:${id}:vendor:${v.vendorId}:schedule`, `price-migration:${id}:vendor:${v.vendorId}:phases`])));
    // Not moved: the annual subscriber, another tier, and a vendor already on the new price.
    for (const v of [annual, otherTier, monthly[3]]) {
      expect(schedulesOf(v.subscriptionId)).toEqual([]);
      expect((await subscriptionOf(v)).price_change).toBeNull();
    }
    // Running again does nothing more.
    const requests = double.requests.length;
    await runner.runUntilIdle();
    expect(double.requests.length).toBe(requests);
    expect(await priceChangingEvents()).toHaveLength(4);
  });

  it('bills the old price until the effective renewal and the new one from it; then the vendor is on the new price', async () => {
    const v = monthly[0];
    const [schedule] = schedulesOf(v.subscriptionId);
    const effective = schedule.phases[1].start_date;
    const invoices: number[] = [];
    let last: { subscription: Stripe.Subscription; events: Stripe.Event[] } | undefined;
    while (double.state.subscriptions.get(v.subscriptionId)!.items.data[0].current_period_start < effective) {
      last = double.renewSubscription(v.subscriptionId);
      invoices.push((last as unknown as { invoice: Stripe.Invoice }).invoice.amount_due);
    }
    expect(invoices.at(-1)).toBe(10900);
    expect(invoices.slice(0, -1).every((amount) => amount === 9900)).toBe(true);
    expect(double.prorationsFor(v.subscriptionId)).toEqual([]);
    const updated = last!.events.find((e) => e.type === 'customer.subscription.updated')!;
    expect((await deliver(t, double, updated)).status).toBe(200);
    const view = await subscriptionOf(v);
    expect(view.price).toMatchObject({ amount_cents: 10900, grandfathered: false });
    expect(view.price_change).toBeNull();
  });

  it('resumes after a Stripe outage and a worker that died after Stripe answered: one schedule and one event per vendor', async () => {
    // Business monthly: four paying vendors, then a new price.
    const vendors: SubscribedVendor[] = [];
    for (let i = 0; i < 4; i++) vendors.push(await subscribedVendor(t, double, 'business'));
    expect((await api(t, admin).patch('/api/v1/admin/subscription-tiers/business').send({ price_monthly_cents: 24900 })).status).toBe(200);
    // One vendor's subscription got a schedule from an earlier attempt, long ago (past Stripe's 24 h key window).
    await stripeClient(double).subscriptionSchedules.create({ from_subscription: vendors[3].subscriptionId });

    const res = await api(t, admin).post(MIGRATIONS).send({ tier_code: 'business', is_annual: false, notice_days: 0 });
    expect(res.status).toBe(202);
    const id: number = res.body.id;
    while ((await runner.expandNextBatch()) > 0);
    const items = await t.db.query(`SELECT id, vendor_id FROM price_migration_items WHERE migration_id = $1 ORDER BY vendor_id`, [id]);
    expect(items).toHaveLength(4);

    // A worker claims the first vendor, Stripe creates its schedule and sets the phases, and the worker dies
    // before recording it: the item stays leased and pending.
    const first = vendors.find((v) => v.vendorId === items[0].vendor_id)!;
    await t.db.query(`UPDATE price_migration_items SET leased_until = now() + interval '1 hour', attempts = 1 WHERE id = $1`, [items[0].id]);
    const key = `price-migration:${id}:vendor:${first.vendorId}`;
    const made = await stripeClient(double).subscriptionSchedules.create({ from_subscription: first.subscriptionId }, { idempotencyKey: `${key}:schedule` });
    expect(made.subscription).toBe(first.subscriptionId);

    // Stripe fails the next vendor's phases (every retry of the SDK too; one vendor at a time here, PRICE_MIGRATION_CONCURRENCY=1):
    // it stays pending, with its error shown.
    double.failNext({ method: 'POST', path: /^\/v1\/subscription_schedules\/sub_sched/, status: 500, times: 3 });
    await runner.runUntilIdle();
    let progress = (await api(t, admin).get(`${MIGRATIONS}/${id}`)).body;
    expect(progress).toMatchObject({ status: 'running', total: 4, scheduled: 2, pending: 2, failed: 0 });
    expect(progress.errors).toEqual([expect.objectContaining({ status: 'pending', attempts: 1, error: expect.stringMatching(/^500/) })]);

    // Later: the dead worker's lease has expired and the failed one is due again.
    await t.db.query(`UPDATE price_migration_items SET leased_until = now() - interval '1 second', next_attempt_at = '-infinity' WHERE migration_id = $1 AND status = 'pending'`, [id]);
    await runner.runUntilIdle();

    progress = (await api(t, admin).get(`${MIGRATIONS}/${id}`)).body;
    expect(progress).toMatchObject({ status: 'completed', total: 4, scheduled: 4, pending: 0, failed: 0 });
    const [{ new_price_id: newPrice }] = await t.db.query(`SELECT new_price_id FROM price_migrations WHERE id = $1`, [id]);
    for (const v of vendors) {
      const schedules = schedulesOf(v.subscriptionId);
      expect(schedules).toHaveLength(1);
      expect(schedules[0].phases.map((p) => p.items[0].price)).toEqual([expect.any(String), newPrice]);
    }
    expect(schedulesOf(first.subscriptionId)[0].id).toBe(made.id);
    const events = await t.db.query(`SELECT vendor_id FROM platform_events WHERE type = 'subscription.price_changing' AND (data->>'migration_id')::int = $1 ORDER BY vendor_id`, [id]);
    expect(events.map((e: { vendor_id: number }) => e.vendor_id)).toEqual(vendors.map((v) => v.vendorId).sort((a, b) => a - b));
  });

  it('lets a vendor with a scheduled price change cancel, or change tier, without the schedule undoing it', async () => {
    // Stripe refuses a cancellation on a subscription a schedule manages, and the schedule's next phase would put the
    // old tier's new price back over a tier change: the schedule is released first.
    const [leaving, moving] = [monthly[1], monthly[2]];
    const cancelled = await api(t, leaving.token).post(`${BILLING}/cancel`).send({ reason: 'too dear' });
    expect([cancelled.status, cancelled.body.error_code]).toEqual([200, undefined]);
    expect(double.state.subscriptions.get(leaving.subscriptionId)).toMatchObject({ cancel_at_period_end: true, schedule: null });
    expect(schedulesOf(leaving.subscriptionId)[0]).toMatchObject({ status: 'released' });
    expect((await subscriptionOf(leaving)).price_change).toBeNull();

    const changed = await api(t, moving.token).post(`${BILLING}/change-tier`).send({ tier_code: 'business', is_annual: false });
    expect(changed.status).toBe(200);
    const stripeSub = double.state.subscriptions.get(moving.subscriptionId)!;
    expect(stripeSub.schedule).toBeNull();
    const businessPrice = stripeSub.items.data[0].price.id;
    double.renewSubscription(moving.subscriptionId);
    double.renewSubscription(moving.subscriptionId);
    expect(double.state.subscriptions.get(moving.subscriptionId)!.items.data[0].price.id).toBe(businessPrice);
    expect((await subscriptionOf(moving)).price_change).toBeNull();
    const [item] = await t.db.query(`SELECT status, last_error FROM price_migration_items WHERE vendor_id = $1`, [moving.vendorId]);
    expect(item).toEqual({ status: 'failed', last_error: expect.stringMatching(/^released/) });
  });
});
