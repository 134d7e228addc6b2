import request from 'supertest';
import { AdvisoryLock, JobRunnerService } from '@app/database';
import { SubscriptionLifecycleService } from '@app/subscription';
import { BILLING, endTrial, subscriptionRow, syncCatalog } from '../billing/billing-fixtures.js';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { api } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { deliver } from '../webhooks/webhook-fixtures.js';
import { expectedRevenue, parseCsv, type ValueChange } from './revenue-expectations.js';

const REVENUE = '/api/v1/admin/revenue';
const at = (iso: string) => new Date(iso);

// CONTRACT §10: vendors go through the real paths over four months (Checkout and /sync, operations, signed
// webhooks, an admin action, a job), the clock and Stripe's clock moved together; the figures are then compared with
// an independent computation from the values each vendor should have had.
describe('admin revenue', () => {
  const { t, double } = useStripeTestApp(ADMIN_ENV);
  let admin: string;
  /** What each vendor is worth from when, as the scenario goes (the test's own model, not the app's). */
  const changes: ValueChange[] = [];

  beforeAll(async () => {
    await syncCatalog(t);
    admin = await adminToken(t);
  });
  afterAll(() => t.clock.reset());

  function moveTo(iso: string) {
    t.clock.set(at(iso));
    double.setTime(at(iso));
  }

  const expectValue = (vendor: SignedUpVendor, cents: number) => changes.push({ vendor: vendor.vendorId, at: t.clock.now(), cents });

  /** Checkout paid; the billing page's /sync records it, or (`webhooks`) Stripe's signed events do. */
  async function checkout(v: SignedUpVendor, tierCode: string, isAnnual: boolean, via: 'sync' | 'webhooks' = 'sync'): Promise<string> {
    const res = await api(t, v.token).post(`${BILLING}/checkout`).send({ tier_code: tierCode, is_annual: isAnnual });
    expect(res.status).toBe(200);
    const { subscription, events } = double.completeCheckout(res.body.session_id);
    if (via === 'sync') expect((await api(t, v.token).post(`${BILLING}/sync`).send({})).status).toBe(200);
    else for (const event of events) expect((await deliver(t, double, event)).status).toBe(200);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ status: 'active', tier_code: tierCode, is_annual: isAnnual });
    return subscription!.id;
  }

  async function subscribe(tierCode: string, isAnnual: boolean): Promise<SignedUpVendor & { subscriptionId: string }> {
    const v = await signUpVendor(t);
    await endTrial(t, v.vendorId);
    return { ...v, subscriptionId: await checkout(v, tierCode, isAnnual) };
  }

  async function changeTier(v: SignedUpVendor, tierCode: string, isAnnual: boolean) {
    const res = await api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: tierCode, is_annual: isAnnual });
    expect(res.status).toBe(200);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: tierCode, is_annual: isAnnual });
  }

  async function revenue(months: number) {
    const res = await api(t, admin).get(REVENUE).query({ months });
    expect(res.status).toBe(200);
    return res.body;
  }

  it('answers MRR, its movements and the current figures as the vendors paid, and the same months as CSV', async () => {
    // February: four vendors pay (monthly, annual, monthly with an add-on), one starts a trial.
    moveTo('2027-02-25T10:00:00Z');
    const a = await subscribe('professional', false);
    expectValue(a, 9900);
    const b = await subscribe('professional', true);
    expectValue(b, 8250); // 99000 / 12
    const c = await subscribe('essential', false);
    expectValue(c, 4900);
    const purchase = await api(t, c.token).post(`${BILLING}/addons/purchase`).send({ addon_code: 'email_5' });
    expect(purchase.status).toBe(200);
    const { event: paid } = double.completeCheckout(purchase.body.session_id);
    expect((await deliver(t, double, paid)).status).toBe(200);
    const [addOn] = await t.db.query(`SELECT id, status FROM vendor_add_ons WHERE vendor_id = $1`, [c.vendorId]);
    expect(addOn.status).toBe('active');
    expectValue(c, 5400);
    const d = await signUpVendor(t);
    expectValue(d, 0);
    const e = await subscribe('business', false);
    expectValue(e, 19900);

    // March: A upgrades, C cancels its add-on, E's renewal fails (past_due still counts), D's trial ends unpaid.
    moveTo('2027-03-30T10:00:00Z');
    await changeTier(a, 'business', false);
    expectValue(a, 19900);
    expect((await api(t, c.token).delete(`${BILLING}/addons/${addOn.id}`)).status).toBe(200);
    expectValue(c, 4900);
    const renewal = double.renewSubscription(e.subscriptionId, { paid: false });
    for (const event of renewal.events) expect((await deliver(t, double, event)).status).toBe(200);
    expect(await subscriptionRow(t, e.vendorId)).toMatchObject({ status: 'past_due', tier_code: 'business' });
    const lifecycle = t.app.get(SubscriptionLifecycleService);
    const run = await t.app.get(JobRunnerService).run('check-trial-expirations', AdvisoryLock.CheckTrialExpirations, (m) => lifecycle.checkTrialExpirations(m));
    expect(run.status).toBe('succeeded');
    expect(await subscriptionRow(t, d.vendorId)).toMatchObject({ status: 'expired' });

    // April: B moves down to essential (annual), E leaves at once, an admin puts D on professional by hand.
    moveTo('2027-04-12T10:00:00Z');
    await changeTier(b, 'essential', true);
    expectValue(b, 4083); // 49000 / 12
    expect((await api(t, e.token).post(`${BILLING}/cancel`).send({ immediately: true })).status).toBe(200);
    expect(await subscriptionRow(t, e.vendorId)).toMatchObject({ status: 'cancelled' });
    expectValue(e, 0);
    const assigned = await api(t, admin).post(`/api/v1/admin/vendors/${d.vendorId}/assign-tier`).send({ tier_code: 'professional' });
    expect(assigned.status).toBe(200);
    expectValue(d, 9900);

    // May: E comes back on essential, C leaves, F starts a trial.
    moveTo('2027-05-20T10:00:00Z');
    await checkout(e, 'essential', false, 'webhooks');
    expectValue(e, 4900);
    expect((await api(t, c.token).post(`${BILLING}/cancel`).send({ immediately: true })).status).toBe(200);
    expectValue(c, 0);
    await signUpVendor(t);

    // Each change is one history row with the monthly value before and after, and what caused it.
    const history: Array<{ vendor_id: number; value_before_cents: number; value_after_cents: number; cause: string }> = await t.db.query(
      `SELECT vendor_id, value_before_cents, value_after_cents, cause FROM subscription_changes ORDER BY changed_at, id`,
    );
    for (const v of [a, b, c, d, e]) {
      const net = history.filter((h) => h.vendor_id === v.vendorId).reduce((sum, h) => sum + h.value_after_cents - h.value_before_cents, 0);
      expect(net).toBe(changes.filter((ch) => ch.vendor === v.vendorId).at(-1)!.cents);
    }
    expect(history.find((h) => h.vendor_id === d.vendorId && h.value_after_cents > 0)).toMatchObject({ value_before_cents: 0, value_after_cents: 9900, cause: 'admin' });
    const [expired] = await t.db.query(`SELECT status_before, status_after, cause FROM subscription_changes WHERE vendor_id = $1 AND status_after = 'expired'`, [d.vendorId]);
    expect(expired).toEqual({ status_before: 'trial', status_after: 'expired', cause: 'job' });
    const [addOnEnd] = await t.db.query(`SELECT value_before_cents, value_after_cents, status_after FROM subscription_changes WHERE vendor_add_on_id = $1 ORDER BY id DESC LIMIT 1`, [addOn.id]);
    expect(addOnEnd).toEqual({ value_before_cents: 500, value_after_cents: 0, status_after: 'cancelled' });
    const [pastDue] = await t.db.query(`SELECT status_before, value_before_cents, value_after_cents, cause FROM subscription_changes WHERE vendor_id = $1 AND status_after = 'past_due'`, [e.vendorId]);
    expect(pastDue).toEqual({ status_before: 'active', value_before_cents: 19900, value_after_cents: 19900, cause: 'stripe' });
    const [upgrade] = await t.db.query(`SELECT changed, item_code, value_before_cents, value_after_cents, cause FROM subscription_changes WHERE vendor_id = $1 AND item_code = 'business'`, [a.vendorId]);
    expect(upgrade).toEqual({ changed: ['tier_code'], item_code: 'business', value_before_cents: 9900, value_after_cents: 19900, cause: 'stripe' });

    const body = await revenue(6);
    const expected = expectedRevenue(changes, t.clock.now(), 6);
    expect(body.currency).toBe('eur');
    expect(body.months).toEqual(expected.months.map((m) => expect.objectContaining(m)));
    expect(body.months.map((m: { month: string }) => m.month)).toEqual(['2026-12', '2027-01', '2027-02', '2027-03', '2027-04', '2027-05']);
    // The figures the scenario was written for, by hand.
    expect(body.months.slice(2).map((m: Record<string, number>) => [m.mrr_cents, m.new_mrr_cents, m.expansion_mrr_cents, m.contraction_mrr_cents, m.churned_mrr_cents, m.reactivation_mrr_cents, m.paying_vendors])).toEqual([
      [43450, 43450, 0, 0, 0, 0, 4],
      [52950, 0, 10000, 500, 0, 0, 4],
      [38783, 9900, 0, 4167, 19900, 0, 4],
      [38783, 0, 0, 0, 4900, 4900, 4],
    ]);
    for (let i = 1; i < body.months.length; i++) {
      const m = body.months[i];
      expect(m.mrr_cents).toBe(body.months[i - 1].mrr_cents + m.new_mrr_cents + m.expansion_mrr_cents + m.reactivation_mrr_cents - m.contraction_mrr_cents - m.churned_mrr_cents);
    }
    expect(body.current).toEqual({
      mrr_cents: 38783, arr_cents: 38783 * 12, paying_vendors: 4, trialing_vendors: 1,
      // Trials that ended since 2027-02-19: A, B, C, E paid, D expired.
      trial_conversion_rate_90d: 0.8,
      // Paying on 2027-04-20: A, B, C, D; C no longer pays.
      logo_churn_rate_30d: 0.25,
      net_revenue_retention_12m: null,
    });
    expect(body.current).toMatchObject(expected.current);

    // The CSV carries the same months, field for field.
    const csv = await api(t, admin).get(`${REVENUE}.csv`).query({ months: 6 });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(parseCsv(csv.text)).toEqual(body.months.map((m: Record<string, unknown>) => {
      const { reactivated_vendors: _, ...fields } = m;
      return fields;
    }));

    // Ten months on: the vendors who paid twelve months before keep 28883 of their 43450 (NRR).
    moveTo('2028-03-01T00:00:00Z');
    const later = await revenue(12);
    expect(later.current).toEqual({
      mrr_cents: 38783, arr_cents: 38783 * 12, paying_vendors: 4, trialing_vendors: 1,
      trial_conversion_rate_90d: null, logo_churn_rate_30d: 0, net_revenue_retention_12m: 0.6647,
    });
    expect(later.current).toMatchObject(expectedRevenue(changes, t.clock.now(), 12).current);
    expect(later.months).toEqual(expectedRevenue(changes, t.clock.now(), 12).months.map((m) => expect.objectContaining(m)));
  });

  it('is for admins only, and refuses a months value out of range', async () => {
    const v = await signUpVendor(t);
    for (const path of [REVENUE, `${REVENUE}.csv`]) {
      expect((await request(t.http).get(path)).status).toBe(401);
      const vendor = await api(t, v.token).get(path);
      expect(vendor.status).toBe(403);
      expect(vendor.body.error_code).toBe('FORBIDDEN');
      for (const months of ['0', '61', 'abc', '1.5', '-3']) {
        const res = await api(t, admin).get(path).query({ months });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error_code: 'VALIDATION_FAILED', details: { errors: [{ field: 'months' }] } });
      }
    }
    expect((await revenue(1)).months).toHaveLength(1);
    expect((await revenue(60)).months).toHaveLength(60);
    expect((await api(t, admin).get(REVENUE)).body.months).toHaveLength(12);
  });
});
