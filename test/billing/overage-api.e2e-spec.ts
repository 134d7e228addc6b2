// The overage's visible side (CONTRACT §12): usage.orders.overage on /subscription, PATCH /vendor/billing/overage
// (owner only, validated, null removes the cap) and the admin tier field orders_overage_price_cents.
import request from 'supertest';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { ADMIN_ENV, adminToken, carryMeteredItem, insertTier, moveToTier } from '../limits/limits.helpers.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

const OVERAGE = '/api/v1/vendor/billing/overage';
const SUBSCRIPTION = '/api/v1/vendor/billing/subscription';

describe('overage: subscription view, cap and tier field', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp(ADMIN_ENV);
    admin = await adminToken(t);
    await insertTier(t, 'ovg-api', { products: 5, orders: 2, team: 3 });
    await insertTier(t, 'hard-api', { products: 5, orders: 2, team: 3 });
  });
  afterAll(() => t.close());

  let linked = 0;
  async function billedVendor(tier: string): Promise<SignedUpVendor> {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, tier);
    linked++;
    await t.db.query(`UPDATE vendor_subscriptions SET stripe_customer_id = $2, stripe_subscription_id = $3 WHERE vendor_id = $1`,
      [v.vendorId, `cus_ovgapi_${process.pid}_${linked}`, `sub_ovgapi_${process.pid}_${linked}`]);
    await carryMeteredItem(t, v.vendorId);
    return v;
  }
  const capRow = async (vendorId: number) =>
    (await t.db.query(`SELECT overage_cap_mode, overage_cap_cents::int AS overage_cap_cents FROM vendor_subscriptions WHERE vendor_id = $1`, [vendorId]))[0];

  it('sets a tier\'s overage price through the admin API, validated', async () => {
    const res = await request(t.http).patch('/api/v1/admin/subscription-tiers/ovg-api').set('Authorization', `Bearer ${admin}`).send({ orders_overage_price_cents: 250 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 'ovg-api', orders_overage_price_cents: 250, stripe_overage_price_id: null });
    for (const bad of [-1, 1.5, '250', 2_147_483_648]) {
      const refused = await request(t.http).patch('/api/v1/admin/subscription-tiers/ovg-api').set('Authorization', `Bearer ${admin}`).send({ orders_overage_price_cents: bad });
      expect(refused.status).toBe(400);
      expect(refused.body.error_code).toBe('VALIDATION_FAILED');
    }
    const list = await request(t.http).get('/api/v1/admin/subscription-tiers').set('Authorization', `Bearer ${admin}`);
    expect(list.body.find((x: { code: string }) => x.code === 'ovg-api').orders_overage_price_cents).toBe(250);
    expect(list.body.find((x: { code: string }) => x.code === 'hard-api').orders_overage_price_cents).toBeNull();
  });

  it('shows the period\'s overage on /subscription, and none on a hard-limited tier', async () => {
    const v = await billedVendor('ovg-api');
    for (let i = 0; i < 4; i++) expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 100 })).status).toBe(201);
    const sub = await api(t, v.token).get(SUBSCRIPTION);
    expect(sub.body.usage.orders).toEqual({ current: 4, limit: 2, percent: 200, threshold_reached: 100, overage: { count: 2, amount_cents: 500, cap_cents: 1000, price_per_unit_cents: 250 } });
    const hard = await billedVendor('hard-api');
    expect((await api(t, hard.token).get(SUBSCRIPTION)).body.usage.orders).not.toHaveProperty('overage');
  });

  it('lets the owner set and remove the cap; the claim holds to it', async () => {
    const v = await billedVendor('ovg-api');
    const set = await api(t, v.token).patch(OVERAGE).send({ cap_cents: 500 });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ count: 0, amount_cents: 0, cap_cents: 500, price_per_unit_cents: 250 });
    expect(await capRow(v.vendorId)).toEqual({ overage_cap_mode: 'custom', overage_cap_cents: 500 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 100 })).status);
    expect(statuses).toEqual([201, 201, 201, 201, 403]);
    const removed = await api(t, v.token).patch(OVERAGE).send({ cap_cents: null });
    expect(removed.body).toEqual({ count: 2, amount_cents: 500, cap_cents: null, price_per_unit_cents: 250 });
    expect(await capRow(v.vendorId)).toEqual({ overage_cap_mode: 'none', overage_cap_cents: null });
    expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 100 })).status).toBe(201);
    expect((await api(t, v.token).get(SUBSCRIPTION)).body.usage.orders.overage).toEqual({ count: 3, amount_cents: 750, cap_cents: null, price_per_unit_cents: 250 });
  });

  it('refuses bad input with 400 and changes nothing', async () => {
    const v = await billedVendor('ovg-api');
    for (const body of [{}, { cap_cents: -1 }, { cap_cents: 1.5 }, { cap_cents: '500' }, { cap_cents: 2_147_483_648 }, { cap_cents: true }]) {
      const res = await api(t, v.token).patch(OVERAGE).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error_code).toBe('VALIDATION_FAILED');
    }
    expect(await capRow(v.vendorId)).toEqual({ overage_cap_mode: 'default', overage_cap_cents: null });
  });

  it('answers a member 403 before any other check', async () => {
    const v = await billedVendor('ovg-api');
    const email = `member-${v.vendorId}@shop.test`;
    expect((await api(t, v.token).post('/api/v1/vendor/team').send({ email, password: 'member-password-1' })).status).toBe(201);
    const login = await request(t.http).post('/api/v1/auth/login').send({ email, password: 'member-password-1' });
    for (const body of [{ cap_cents: 100 }, { cap_cents: 'bad' }]) {
      const res = await api(t, login.body.access_token).patch(OVERAGE).send(body);
      expect(res.status).toBe(403);
      expect(res.body.error_code).toBe('FORBIDDEN');
    }
    expect(await capRow(v.vendorId)).toEqual({ overage_cap_mode: 'default', overage_cap_cents: null });
  });
});
