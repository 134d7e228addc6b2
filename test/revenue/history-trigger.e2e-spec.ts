import { signUpVendor } from '../factories/vendor.factory.js';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

const DAY = 86_400_000;

// The history's trigger on its own: whatever writes vendor_subscriptions and vendor_add_ons (here plain statements,
// as a job or a hand-written fix would), each change is one row, in the change's transaction, chained per item, and
// a value that stops by itself is a scheduled row that a later change replaces.
describe('subscription_changes (the trigger)', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp(ADMIN_ENV);
    admin = await adminToken(t);
  });
  afterAll(() => t.close());

  const rows = (vendorId: number) =>
    t.db.query(
      `SELECT changed, status_before, status_after, value_before_cents, value_after_cents, scheduled, cause, changed_at
         FROM subscription_changes WHERE vendor_id = $1 ORDER BY changed_at, id`,
      [vendorId],
    );

  it('records a cancelled plan counting until its end as a scheduled end, and drops that end when the plan comes back first', async () => {
    const v = await signUpVendor(t);
    const start = new Date(Date.now() + 1000);
    const end = new Date(start.getTime() + 10 * DAY);
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'active', tier_code = 'professional', updated_at = $2 WHERE vendor_id = $1`, [v.vendorId, start]);
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'cancelled', period_end = $2, updated_at = $3 WHERE vendor_id = $1`, [v.vendorId, end, new Date(start.getTime() + DAY)]);
    expect((await rows(v.vendorId)).slice(1).map((r: { changed: string[]; value_before_cents: number; value_after_cents: number; scheduled: boolean }) => [r.changed, r.value_before_cents, r.value_after_cents, r.scheduled])).toEqual([
      [['tier_code', 'status'], 0, 9900, false],
      [['status', 'period_end'], 9900, 9900, false],
      [['ended'], 9900, 0, true],
    ]);
    // MRR counts it until the end, and not after.
    t.clock.set(new Date(start.getTime() + 2 * DAY));
    expect((await api(t, admin).get('/api/v1/admin/revenue?months=1')).body.current.mrr_cents).toBe(9900);
    t.clock.set(new Date(end.getTime() + DAY));
    expect((await api(t, admin).get('/api/v1/admin/revenue?months=1')).body.current.mrr_cents).toBe(0);
    t.clock.reset();

    // Back on a plan before the end: the scheduled end never happens, and the chain goes on from 9900.
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'active', tier_code = 'business', updated_at = $2 WHERE vendor_id = $1`, [v.vendorId, new Date(start.getTime() + 2 * DAY)]);
    const after = await rows(v.vendorId);
    expect(after.filter((r: { scheduled: boolean }) => r.scheduled)).toEqual([]);
    expect(after.at(-1)).toMatchObject({ status_before: 'cancelled', status_after: 'active', value_before_cents: 9900, value_after_cents: 19900, cause: 'system' });
  });

  it('writes nothing for a renewal or a counter, and nothing when the change rolls back', async () => {
    const v = await signUpVendor(t);
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'active', tier_code = 'essential' WHERE vendor_id = $1`, [v.vendorId]);
    const before = (await rows(v.vendorId)).length;
    await t.db.query(`UPDATE vendor_subscriptions SET period_start = period_end, period_end = period_end + interval '1 month', orders_this_period = 0 WHERE vendor_id = $1`, [v.vendorId]);
    await t.db.query(`UPDATE vendor_subscriptions SET products_count = products_count + 1 WHERE vendor_id = $1`, [v.vendorId]);
    expect(await rows(v.vendorId)).toHaveLength(before);
    const rolledBack = t.db.transaction(async (m) => {
      await m.query(`UPDATE vendor_subscriptions SET tier_code = 'business' WHERE vendor_id = $1`, [v.vendorId]);
      expect(await m.query(`SELECT count(*)::int AS n FROM subscription_changes WHERE vendor_id = $1`, [v.vendorId])).toEqual([{ n: before + 1 }]);
      await m.query(`SELECT set_config('vb.change_cause', 'admin', true)`);
      await m.query(`UPDATE vendor_subscriptions SET is_annual = true WHERE vendor_id = $1`, [v.vendorId]);
      const [last] = await m.query(`SELECT cause, value_after_cents FROM subscription_changes WHERE vendor_id = $1 ORDER BY id DESC LIMIT 1`, [v.vendorId]);
      expect(last).toEqual({ cause: 'admin', value_after_cents: 16583 });
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
    expect(await rows(v.vendorId)).toHaveLength(before);
  });
});
