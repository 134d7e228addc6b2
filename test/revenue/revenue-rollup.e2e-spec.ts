import { revenueReportFromHistory } from '@app/subscription';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

const DAY = 86_400_000;

// The rollup (revenue_vendor_months, kept by statement-level triggers on subscription_changes) stays exact whoever
// writes the history and however: plan and add-on changes through the row-level triggers at past, present and
// future times, a scheduled end that passes and one a later change replaces, a rolled-back transaction, one
// statement writing many vendors' rows at once (as a set-based job does), two transactions changing one vendor at
// once, a deleted vendor. After each step the kept rollup equals the one computed from the history, and the API's
// report (from the rollup) equals, figure for figure, the one computed from the history alone (the statements the
// API ran before the rollup), at several times around the scheduled ends.
describe('revenue rollup (revenue_vendor_months)', () => {
  let t: TestApp;
  let admin: string;
  const now = Date.now();
  const at = (days: number) => new Date(now + days * DAY);

  beforeAll(async () => {
    t = await createTestApp(ADMIN_ENV);
    admin = await adminToken(t);
  });
  afterAll(async () => {
    t.clock.reset();
    await t.close();
  });

  async function vendor(code: string, signedUpDaysAgo: number): Promise<number> {
    const [{ id }] = await t.db.query(`INSERT INTO vendors (code, name) VALUES ($1, $1) RETURNING id`, [`rollup-${code}`]);
    const signup = at(-signedUpDaysAgo);
    await t.db.query(
      `INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, trial_ends_at, period_start, period_end, created_at, updated_at)
       VALUES ($1, 'essential', 'trial', $2::timestamptz + interval '14 days', $2, $2::timestamptz + interval '14 days', $2, $2)`,
      [id, signup],
    );
    return id as number;
  }

  const plan = (vendorId: number, set: string, when: Date, params: unknown[] = []) =>
    t.db.query(`UPDATE vendor_subscriptions SET ${set}, updated_at = $2 WHERE vendor_id = $1`, [vendorId, when, ...params]);

  async function expectExact(label: string): Promise<void> {
    const diff = await t.db.query(
      `(SELECT 'kept' AS side, * FROM (SELECT * FROM revenue_vendor_months EXCEPT SELECT * FROM revenue_vendor_months_from_history()) k)
       UNION ALL
       (SELECT 'history', * FROM (SELECT * FROM revenue_vendor_months_from_history() EXCEPT SELECT * FROM revenue_vendor_months) h)`,
    );
    expect({ label, diff }).toEqual({ label, diff: [] });
    for (const days of [0, 3, 12, 40, 75]) {
      const when = at(days);
      t.clock.set(when);
      const res = await api(t, admin).get('/api/v1/admin/revenue').query({ months: 12 });
      expect(res.status).toBe(200);
      const fromHistory = await revenueReportFromHistory((sql, params) => t.db.query(sql, params), when, 12);
      expect({ label, days, report: res.body }).toEqual({ label, days, report: fromHistory });
    }
    t.clock.reset();
  }

  it('equals the rollup and the figures computed from the history after every kind of write', async () => {
    const [emailAddOn] = await t.db.query(`SELECT id FROM add_on_products WHERE code = 'email_5'`);

    // Plans paid, changed and ended over the last months (each row at its updated_at: past months too).
    const a = await vendor('a', 150);
    await plan(a, `status = 'active', tier_code = 'professional'`, at(-130));
    await plan(a, `tier_code = 'business'`, at(-95));
    await plan(a, `is_annual = true`, at(-60));
    const b = await vendor('b', 120);
    await plan(b, `status = 'active'`, at(-100));
    await plan(b, `status = 'past_due'`, at(-70));
    await plan(b, `status = 'expired'`, at(-45)); // churn
    await plan(b, `status = 'active', tier_code = 'professional'`, at(-10)); // reactivation
    const c = await vendor('c', 90);
    await plan(c, `status = 'active', tier_code = 'business'`, at(-80));
    // Cancelled, counting until its end 8 days ahead: a scheduled end row that passes while the figures are read.
    await plan(c, `status = 'cancelled', period_end = $3`, at(-1), [at(8)]);
    // An add-on bought, then cancelled to end 20 days ahead (its own scheduled end).
    await t.db.query(
      `INSERT INTO vendor_add_ons (vendor_id, add_on_product_id, status, quantity, period_start, period_end, created_at, updated_at)
       VALUES ($1, $2, 'active', 2, $3, $3::timestamptz + interval '30 days', $3, $3)`,
      [c, emailAddOn.id, at(-50)],
    );
    await t.db.query(`UPDATE vendor_add_ons SET status = 'cancelled', cancelled_at = $2, period_end = $2, updated_at = $3 WHERE vendor_id = $1`, [c, at(20), at(-2)]);
    await expectExact('plans and an add-on');

    // Cancelled to end ahead, then back on a plan first: the scheduled end is deleted from the history.
    const d = await vendor('d', 60);
    await plan(d, `status = 'active', tier_code = 'professional'`, at(-40));
    await plan(d, `status = 'cancelled', period_end = $3`, at(-3), [at(25)]);
    await plan(d, `status = 'active', tier_code = 'essential'`, at(-2));
    expect(await t.db.query(`SELECT count(*)::int AS n FROM subscription_changes WHERE vendor_id = $1 AND scheduled`, [d])).toEqual([{ n: 0 }]);
    await expectExact('a scheduled end replaced');

    // A change that rolls back leaves the rollup as it was.
    const rolledBack = t.db.transaction(async (m) => {
      await m.query(`UPDATE vendor_subscriptions SET tier_code = 'business', updated_at = $2 WHERE vendor_id = $1`, [a, at(-1)]);
      await m.query(`UPDATE vendor_subscriptions SET status = 'cancelled', period_end = $2, updated_at = $3 WHERE vendor_id = $1`, [d, at(30), at(-1)]);
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
    await expectExact('a rolled-back transaction');

    // One statement writing many vendors' rows over several months at once, as a set-based job writes its own rows.
    const e = await vendor('e', 200);
    await t.db.query(
      `INSERT INTO subscription_changes (vendor_id, vendor_add_on_id, changed_at, changed, item_code, status_before, status_after, is_annual,
                                         value_before_cents, value_after_cents, value_until, cause)
       SELECT v, NULL, $3::timestamptz + make_interval(days => n * 17), ARRAY['status'], 'essential', 'active', 'active', false,
              (n - 1) * 1000 % 3000, n * 1000 % 3000, NULL, 'job'
         FROM unnest($1::int[]) v, generate_series(1, $2::int) n`,
      [[a, e], 8, at(-190)],
    );
    await expectExact('one statement for many vendors and months');

    // One statement with one row per vendor now (a job's batch): vendors with and without a row this month, one
    // with nothing in the rollup yet, and one with a row in a later month (recomputed from its earlier rows).
    const f = await vendor('f', 5);
    await t.db.query(
      `INSERT INTO subscription_changes (vendor_id, vendor_add_on_id, changed_at, changed, item_code, status_before, status_after, is_annual,
                                         value_before_cents, value_after_cents, value_until, cause)
       VALUES ($1, NULL, $2, ARRAY['status'], 'essential', 'active', 'active', false, 0, 700, NULL, 'job')`,
      [e, at(45)],
    );
    await t.db.query(
      `INSERT INTO subscription_changes (vendor_id, vendor_add_on_id, changed_at, changed, item_code, status_before, status_after, is_annual,
                                         value_before_cents, value_after_cents, value_until, cause)
       SELECT v, NULL, $2, ARRAY['status'], 'essential', 'trial', 'active', false, 0, 4900, NULL, 'job' FROM unnest($1::int[]) v`,
      [[a, c, d, e, f], at(0)],
    );
    await expectExact('one statement, one row per vendor');

    // Two transactions changing one vendor at once (its plan, its add-on): the second waits for the first's rollup
    // rows, then recomputes from them.
    const first = t.db.createQueryRunner();
    const second = t.db.createQueryRunner();
    try {
      await first.startTransaction();
      await first.query(`UPDATE vendor_subscriptions SET tier_code = 'business', updated_at = $2 WHERE vendor_id = $1`, [d, at(0)]);
      await second.startTransaction();
      const [{ pid }] = await second.query(`SELECT pg_backend_pid() AS pid`);
      const waiting = second.query(
        `INSERT INTO vendor_add_ons (vendor_id, add_on_product_id, status, quantity, period_start, period_end, created_at, updated_at)
         VALUES ($1, $2, 'active', 1, $3, $3::timestamptz + interval '30 days', $3, $3)`,
        [d, emailAddOn.id, at(0)],
      );
      for (let i = 0; ; i++) {
        const [row] = await t.db.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
        if (row?.wait_event_type === 'Lock') break;
        if (i > 200) throw new Error('the second writer never waited for the first');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await first.commitTransaction();
      await waiting;
      await second.commitTransaction();
    } finally {
      await first.release();
      await second.release();
    }
    await expectExact('two writers of one vendor at once');

    // A vendor deleted takes its history and its rollup rows with it.
    await t.db.query(`DELETE FROM vendors WHERE id = $1`, [b]);
    await expectExact('a vendor deleted');

    // Not a vacuous equality: the figures moved.
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM revenue_vendor_months WHERE delta_cents <> 0`);
    expect(n).toBeGreaterThanOrEqual(12);
  });
});
