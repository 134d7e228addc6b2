import { signUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { inBatches, insertTier, moveToTier, usage } from './limits.helpers.js';

describe('tier limits at their edges', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('refuses the 201st product on essential and writes nothing', async () => {
    const v = await signUpVendor(t);
    const created = await inBatches(200, 10, (i) => api(t, v.token).post('/api/v1/vendor/products').send({ name: `Product ${i}`, price_cents: 100 + i }));
    expect(created.map((r) => r.status)).toEqual(Array(200).fill(201));
    expect(created[0].body).toEqual({ id: expect.any(Number), name: 'Product 0', sku: null, price_cents: 100, created_at: expect.any(String) });

    const refused = await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'One too many', price_cents: 1 });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      status_code: 403,
      error_code: 'TIER_LIMIT_EXCEEDED',
      message: expect.any(String),
      details: { limit_type: 'products', current: 200, limit: 200, tier_code: 'essential' },
    });
    expect(await usage(t, v.vendorId)).toMatchObject({ products_count: 200, products: 200 });
  });

  it('frees a slot when a product is deleted', async () => {
    const v = await signUpVendor(t);
    await insertTier(t, 'two-products', { products: 2, orders: 10, team: 1 });
    await moveToTier(t, v.vendorId, 'two-products');
    const a = await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'A', price_cents: 1, sku: 'A-1' });
    await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'B', price_cents: 2 });
    expect((await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'C', price_cents: 3 })).status).toBe(403);

    const del = await api(t, v.token).delete(`/api/v1/vendor/products/${a.body.id}`);
    expect(del.status).toBe(204);
    expect(await usage(t, v.vendorId)).toMatchObject({ products_count: 1, products: 1 });
    expect((await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'C', price_cents: 3 })).status).toBe(201);

    const again = await api(t, v.token).delete(`/api/v1/vendor/products/${a.body.id}`);
    expect(again.status).toBe(404);
    expect(await usage(t, v.vendorId)).toMatchObject({ products_count: 2, products: 2 });

    const list = await api(t, v.token).get('/api/v1/vendor/products');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(2);
    expect(list.body.items.map((p: { name: string }) => p.name)).toEqual(['B', 'C']);
  });

  it('refuses the 101st order of the period on essential', async () => {
    const v = await signUpVendor(t);
    const created = await inBatches(100, 10, (i) => api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1000 + i, customer_email: 'Buyer@Example.test' }));
    expect(created.every((r) => r.status === 201)).toBe(true);
    expect(created[0].body).toMatchObject({ total_cents: 1000, currency: 'eur', customer_email: 'buyer@example.test' });

    const refused = await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 });
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual({ limit_type: 'orders', current: 100, limit: 100, tier_code: 'essential' });
    expect(await usage(t, v.vendorId)).toMatchObject({ orders_this_period: 100, orders: 100 });
  });

  it('counts the owner as the only seat on essential', async () => {
    const v = await signUpVendor(t);
    const refused = await api(t, v.token).post('/api/v1/vendor/team').send({ email: 'clerk@shop.test', password: 'password-123' });
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual({ limit_type: 'team_members', current: 1, limit: 1, tier_code: 'essential' });
    expect(await usage(t, v.vendorId)).toMatchObject({ team_members_count: 1, users: 1 });
    const [user] = await t.db.query(`SELECT count(*)::int AS n FROM users WHERE email = 'clerk@shop.test'`);
    expect(user.n).toBe(0);
  });

  it('seats two members beside the owner on professional, and the third is refused', async () => {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, 'professional');
    const first = await api(t, v.token).post('/api/v1/vendor/team').send({ email: `m1-${v.vendorId}@shop.test`, password: 'password-123' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.any(Number), email: `m1-${v.vendorId}@shop.test`, role: 'vendor', vendor_role: 'member', is_owner: false, created_at: expect.any(String) });
    expect((await api(t, v.token).post('/api/v1/vendor/team').send({ email: `m2-${v.vendorId}@shop.test`, password: 'password-123' })).status).toBe(201);
    const third = await api(t, v.token).post('/api/v1/vendor/team').send({ email: `m3-${v.vendorId}@shop.test`, password: 'password-123' });
    expect(third.status).toBe(403);
    expect(third.body.details).toEqual({ limit_type: 'team_members', current: 3, limit: 3, tier_code: 'professional' });

    const login = await api(t).post('/api/v1/auth/login').send({ email: `m1-${v.vendorId}@shop.test`, password: 'password-123' });
    expect(login.status).toBe(200);
    expect(login.body.vendor.id).toBe(v.vendorId);
    const team = await api(t, login.body.access_token).get('/api/v1/vendor/team');
    expect(team.body.total).toBe(3);
    expect(team.body.items.filter((m: { is_owner: boolean }) => m.is_owner)).toHaveLength(1);

    expect((await api(t, v.token).delete(`/api/v1/vendor/team/${first.body.id}`)).status).toBe(204);
    expect(await usage(t, v.vendorId)).toMatchObject({ team_members_count: 2, users: 2 });
    expect((await api(t, login.body.access_token).get('/api/v1/vendor/team')).status).toBe(401);
    expect((await api(t, v.token).post('/api/v1/vendor/team').send({ email: `m3-${v.vendorId}@shop.test`, password: 'password-123' })).status).toBe(201);
  });

  it('never removes the owner', async () => {
    const v = await signUpVendor(t);
    const res = await api(t, v.token).delete(`/api/v1/vendor/team/${v.userId}`);
    expect(res.status).toBe(400);
    expect(await usage(t, v.vendorId)).toMatchObject({ team_members_count: 1, users: 1 });
  });

  it('answers CONFLICT for a taken e-mail and keeps the seat free', async () => {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, 'professional');
    const res = await api(t, v.token).post('/api/v1/vendor/team').send({ email: v.email, password: 'password-123' });
    expect(res.status).toBe(409);
    expect(await usage(t, v.vendorId)).toMatchObject({ team_members_count: 1, users: 1 });
  });

  it('never refuses on an unlimited tier', async () => {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, 'enterprise');
    await t.db.query(`UPDATE vendor_subscriptions SET orders_this_period = 1000000, products_count = 1000000, team_members_count = 1000 WHERE vendor_id = $1`, [v.vendorId]);
    expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 5 })).status).toBe(201);
    expect((await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'X', price_cents: 5 })).status).toBe(201);
    expect((await api(t, v.token).post('/api/v1/vendor/team').send({ email: `big-${v.vendorId}@shop.test`, password: 'password-123' })).status).toBe(201);
    expect(await usage(t, v.vendorId)).toMatchObject({ orders_this_period: 1000001, products_count: 1000001, team_members_count: 1001 });
  });

  it('holds a vendor on a tier code the table lacks to the built-in default', async () => {
    const v = await signUpVendor(t);
    await t.db.query(`DELETE FROM subscription_tiers WHERE code = 'professional'`);
    await moveToTier(t, v.vendorId, 'professional');
    await t.db.query(`UPDATE vendor_subscriptions SET orders_this_period = 500 WHERE vendor_id = $1`, [v.vendorId]);
    const res = await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 5 });
    expect(res.status).toBe(403);
    expect(res.body.details).toEqual({ limit_type: 'orders', current: 500, limit: 500, tier_code: 'professional' });
    expect((await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'unlimited by default', price_cents: 5 })).status).toBe(201);
  });

  it('refuses everything on a tier code nobody knows', async () => {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, 'vanished');
    const res = await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'X', price_cents: 5 });
    expect(res.status).toBe(403);
    expect(res.body.details).toEqual({ limit_type: 'products', current: 0, limit: 0, tier_code: 'vanished' });
  });

  it('validates bodies and ids', async () => {
    const v = await signUpVendor(t);
    const bad = await api(t, v.token).post('/api/v1/vendor/products').send({ name: '', price_cents: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.details.errors.map((e: { field: string }) => e.field).sort()).toEqual(['name', 'price_cents']);
    expect((await api(t, v.token).delete('/api/v1/vendor/products/abc')).status).toBe(400);
    expect((await api(t, v.token).delete('/api/v1/vendor/products/99999999999')).status).toBe(400);
    expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1.5 })).status).toBe(400);
    expect(await usage(t, v.vendorId)).toMatchObject({ products_count: 0, orders_this_period: 0 });
  });
});
