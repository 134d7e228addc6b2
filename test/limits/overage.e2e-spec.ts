// Orders past the limit billed as overage (CONTRACT §12): accepted up to the vendor's cap in the claim's one
// statement, each with its meter-event row and the period's first with `usage.overage_started`; a tier without an
// overage price, or a vendor nothing bills, stays hard-limited exactly as before.
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { carryMeteredItem, insertTier, moveToTier } from './limits.helpers.js';

const PARALLEL = 50;
const ORDERS = '/api/v1/vendor/orders';

describe('order overage', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    // 3 orders a month, 1.50 per order past them, 10.00 a month (the default cap).
    await insertTier(t, 'ovg', { products: 5, orders: 3, team: 3 });
    await t.db.query(`UPDATE subscription_tiers SET orders_overage_price_cents = 150 WHERE code = 'ovg'`);
    await insertTier(t, 'hard', { products: 5, orders: 3, team: 3 });
  });
  afterAll(() => t.close());

  let linked = 0;
  /** A vendor on `tier` whose subscription Stripe bills (ids and items as a Checkout leaves them; `metered: false`: no metered item). */
  async function billedVendor(tier: string, opts: { stripe?: boolean; metered?: boolean } = {}): Promise<SignedUpVendor> {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, tier);
    if (opts.stripe !== false) {
      linked++;
      await t.db.query(`UPDATE vendor_subscriptions SET stripe_customer_id = $2, stripe_subscription_id = $3 WHERE vendor_id = $1`,
        [v.vendorId, `cus_ovg_${process.pid}_${linked}`, `sub_ovg_${process.pid}_${linked}`]);
      if (opts.metered !== false) await carryMeteredItem(t, v.vendorId);
    }
    return v;
  }

  const order = (v: SignedUpVendor, i: number) => api(t, v.token).post(ORDERS).send({ total_cents: 1000 + i });

  async function state(vendorId: number) {
    const [row] = await t.db.query(
      `SELECT s.orders_this_period, s.overage_orders, s.overage_amount_cents::int AS overage_amount_cents,
              (SELECT count(*)::int FROM orders o WHERE o.vendor_id = $1) AS orders,
              (SELECT count(*)::int FROM orders o WHERE o.vendor_id = $1 AND o.overage) AS overage_rows,
              (SELECT count(*)::int FROM stripe_meter_events m WHERE m.vendor_id = $1) AS meter_events,
              (SELECT count(DISTINCT m.identifier)::int FROM stripe_meter_events m JOIN orders o ON o.id = m.order_id AND o.overage WHERE m.vendor_id = $1) AS identifiers,
              (SELECT coalesce(sum(m.amount_cents), 0)::int FROM stripe_meter_events m WHERE m.vendor_id = $1) AS metered_cents,
              (SELECT count(*)::int FROM platform_events e WHERE e.vendor_id = $1 AND e.type = 'usage.overage_started') AS started_events
         FROM vendor_subscriptions s WHERE s.vendor_id = $1`,
      [vendorId],
    );
    return row;
  }

  it('accepts orders past the limit as overage up to the default cap (the monthly price), then refuses', async () => {
    const v = await billedVendor('ovg');
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await order(v, i));
    // 6 × 1.50 = 9.00 fit in 10.00; the 7th would make 10.50.
    expect(answers.slice(0, 9).map((r) => r.status)).toEqual(Array(9).fill(201));
    expect(answers.slice(0, 9).map((r) => r.body.overage)).toEqual([false, false, false, ...Array(6).fill(true)]);
    const refused = answers.find((r) => r.status === 403)!;
    expect(answers.findIndex((r) => r.status === 403)).toBe(9);
    expect(refused.body).toMatchObject({ error_code: 'TIER_LIMIT_EXCEEDED', details: { limit_type: 'orders', limit: 3, tier_code: 'ovg', overage_cap_reached: true } });
    expect(answers.slice(9).every((r) => r.status === 403 && r.body.details.overage_cap_reached === true)).toBe(true);
    expect(await state(v.vendorId)).toEqual({
      orders_this_period: 9, overage_orders: 6, overage_amount_cents: 900, orders: 9, overage_rows: 6, meter_events: 6, identifiers: 6, metered_cents: 900, started_events: 1,
    });
    const [event] = await t.db.query(`SELECT data FROM platform_events WHERE vendor_id = $1 AND type = 'usage.overage_started'`, [v.vendorId]);
    const [{ period_start }] = await t.db.query(`SELECT period_start FROM vendor_subscriptions WHERE vendor_id = $1`, [v.vendorId]);
    expect(event.data).toEqual({ meter: 'orders', limit: 3, price_per_unit_cents: 150, cap_cents: 1000, period_start: new Date(period_start).toISOString() });
    const rows = await t.db.query(`SELECT m.identifier, m.value, m.amount_cents, m.status, m.occurred_at = o.created_at AS same_time, o.id
      FROM stripe_meter_events m JOIN orders o ON o.id = m.order_id WHERE m.vendor_id = $1 ORDER BY m.id`, [v.vendorId]);
    expect(rows.map((r: { identifier: string; id: number }) => r.identifier)).toEqual(rows.map((r: { id: number }) => `order-overage-${r.id}`));
    expect(rows.every((r: { value: number; amount_cents: number; status: string; same_time: boolean }) => r.value === 1 && r.amount_cents === 150 && r.status === 'pending' && r.same_time)).toBe(true);
  });

  it('holds a custom cap, and none when the cap is removed', async () => {
    const v = await billedVendor('ovg');
    await t.db.query(`UPDATE vendor_subscriptions SET overage_cap_mode = 'custom', overage_cap_cents = 300 WHERE vendor_id = $1`, [v.vendorId]);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await order(v, i)).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 403]);
    await t.db.query(`UPDATE vendor_subscriptions SET overage_cap_mode = 'none', overage_cap_cents = NULL WHERE vendor_id = $1`, [v.vendorId]);
    for (let i = 0; i < 20; i++) expect((await order(v, i)).status).toBe(201);
    expect(await state(v.vendorId)).toMatchObject({ orders_this_period: 25, overage_orders: 22, overage_amount_cents: 3300, meter_events: 22, started_events: 1 });
  });

  it('keeps a tier without an overage price hard-limited exactly as before', async () => {
    const v = await billedVendor('hard');
    for (let i = 0; i < 3; i++) expect((await order(v, i)).body.overage).toBe(false);
    const refused = await order(v, 4);
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual({ limit_type: 'orders', current: 3, limit: 3, tier_code: 'hard' });
    expect(refused.body.message).toBe('Your hard plan allows 3 orders; upgrade to add more.');
    expect(await state(v.vendorId)).toMatchObject({ orders_this_period: 3, overage_orders: 0, meter_events: 0, started_events: 0 });
  });

  it('hard-limits a vendor nothing bills (no Stripe subscription) even on a tier with an overage price', async () => {
    const v = await billedVendor('ovg', { stripe: false });
    for (let i = 0; i < 3; i++) expect((await order(v, i)).status).toBe(201);
    const refused = await order(v, 4);
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual({ limit_type: 'orders', current: 3, limit: 3, tier_code: 'ovg' });
    expect(await state(v.vendorId)).toMatchObject({ orders_this_period: 3, overage_orders: 0, meter_events: 0 });
  });

  it('hard-limits a subscription without the tier\'s metered price (one from before the tier priced overage): nobody would bill it', async () => {
    const v = await billedVendor('ovg', { metered: false });
    await t.db.query(`UPDATE vendor_subscriptions SET stripe_item_price_ids = ARRAY['price_plan_only'] WHERE vendor_id = $1`, [v.vendorId]);
    for (let i = 0; i < 3; i++) expect((await order(v, i)).status).toBe(201);
    const refused = await order(v, 4);
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual({ limit_type: 'orders', current: 3, limit: 3, tier_code: 'ovg' });
    expect(await state(v.vendorId)).toMatchObject({ orders_this_period: 3, overage_orders: 0, meter_events: 0, started_events: 0 });
    // Once Stripe's items carry it (a tier change or Checkout adds it), overage.
    await carryMeteredItem(t, v.vendorId);
    expect((await order(v, 5)).body.overage).toBe(true);
  });

  it('hard-limits an annual plan on a tier with an overage price (it carries no metered item)', async () => {
    const v = await billedVendor('ovg');
    await t.db.query(`UPDATE vendor_subscriptions SET is_annual = true WHERE vendor_id = $1`, [v.vendorId]);
    for (let i = 0; i < 3; i++) expect((await order(v, i)).status).toBe(201);
    const refused = await order(v, 4);
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual({ limit_type: 'orders', current: 3, limit: 3, tier_code: 'ovg' });
    expect(await state(v.vendorId)).toMatchObject({ orders_this_period: 3, overage_orders: 0, meter_events: 0, started_events: 0 });
  });

  it('hard-limits while a tier change is in flight (its pending tier), even to a tier that prices overage, and not after', async () => {
    const v = await billedVendor('ovg');
    for (let i = 0; i < 3; i++) expect((await order(v, i)).status).toBe(201);
    // The change's reservation, as LimitService.reservePendingTier leaves it during the Stripe call.
    await t.db.query(`UPDATE vendor_subscriptions SET pending_tier_code = 'ovg', pending_tier_expires_at = now() + interval '2 minutes' WHERE vendor_id = $1`, [v.vendorId]);
    const refused = await order(v, 4);
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual({ limit_type: 'orders', current: 3, limit: 3, tier_code: 'ovg' });
    // A dead process's reservation runs out: overage again.
    await t.db.query(`UPDATE vendor_subscriptions SET pending_tier_expires_at = now() - interval '1 second' WHERE vendor_id = $1`, [v.vendorId]);
    const accepted = await order(v, 5);
    expect(accepted.status).toBe(201);
    expect(accepted.body.overage).toBe(true);
    expect(await state(v.vendorId)).toMatchObject({ orders_this_period: 4, overage_orders: 1, meter_events: 1 });
  });

  it('takes exactly the last slot and the overage the cap allows out of 50 parallel orders at the boundary', async () => {
    const v = await billedVendor('ovg');
    await t.db.query(`UPDATE vendor_subscriptions SET overage_cap_mode = 'custom', overage_cap_cents = 3000 WHERE vendor_id = $1`, [v.vendorId]);
    for (let i = 0; i < 2; i++) expect((await order(v, i)).status).toBe(201);
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => order(v, 100 + i)));
    const created = answers.filter((r) => r.status === 201);
    // 1 within the limit + 20 × 1.50 = 30.00 of overage.
    expect(created.length).toBe(21);
    expect(created.filter((r) => r.body.overage).length).toBe(20);
    expect(answers.filter((r) => r.status === 403 && r.body.details?.overage_cap_reached === true).length).toBe(PARALLEL - 21);
    expect(await state(v.vendorId)).toEqual({
      orders_this_period: 23, overage_orders: 20, overage_amount_cents: 3000, orders: 23, overage_rows: 20, meter_events: 20, identifiers: 20, metered_cents: 3000, started_events: 1,
    });
  });

  it('takes exactly what is left of the cap out of 50 parallel orders at the cap', async () => {
    const v = await billedVendor('ovg');
    // Default cap 10.00: after 3 + 4 overage orders (6.00), two more fit (9.00).
    for (let i = 0; i < 7; i++) expect((await order(v, i)).status).toBe(201);
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => order(v, 100 + i)));
    expect(answers.filter((r) => r.status === 201).length).toBe(2);
    expect(answers.filter((r) => r.status === 403 && r.body.details?.overage_cap_reached === true).length).toBe(PARALLEL - 2);
    expect(await state(v.vendorId)).toMatchObject({ orders_this_period: 9, overage_orders: 6, overage_amount_cents: 900, orders: 9, meter_events: 6, identifiers: 6, started_events: 1 });
  });

  it('starts a new period from zero: the old period\'s overage no longer counts against the cap', async () => {
    const v = await billedVendor('ovg');
    for (let i = 0; i < 9; i++) expect((await order(v, i)).status).toBe(201);
    expect((await order(v, 9)).status).toBe(403);
    // Stripe's renewal moves the period as the writer does (orders_this_period = 0, a later period_start); the
    // overage counters belong to the old period and read as zero from now on.
    await t.db.query(`UPDATE vendor_subscriptions SET period_start = period_end, period_end = period_end + interval '1 month', orders_this_period = 0 WHERE vendor_id = $1`, [v.vendorId]);
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await order(v, 20 + i));
    expect(answers.map((r) => r.status)).toEqual([...Array(9).fill(201), 403]);
    expect(answers.slice(0, 9).map((r) => r.body.overage)).toEqual([false, false, false, ...Array(6).fill(true)]);
    expect(await state(v.vendorId)).toMatchObject({ orders_this_period: 9, overage_orders: 6, overage_amount_cents: 900, meter_events: 12, started_events: 2 });
  });
});
