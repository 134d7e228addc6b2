import { signUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { ADMIN_ENV, adminToken, moveToTier, usage } from './limits.helpers.js';

const DAY = 86_400_000;

describe('subscription status rules, database-driven tiers and feature gates', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ ...ADMIN_ENV, PAST_DUE_GRACE_DAYS: '14' });
    admin = await adminToken(t);
  });
  afterAll(() => t.close());
  afterEach(() => t.clock.reset());

  const setStatus = (vendorId: number, fields: Record<string, unknown>) => {
    const keys = Object.keys(fields);
    return t.db.query(`UPDATE vendor_subscriptions SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE vendor_id = $1`, [vendorId, ...Object.values(fields)]);
  };

  it('answers SUBSCRIPTION_INACTIVE for every create of an expired vendor, and still lets it read', async () => {
    const v = await signUpVendor(t);
    await setStatus(v.vendorId, { status: 'expired' });
    for (const [path, body] of [
      ['/api/v1/vendor/products', { name: 'X', price_cents: 1 }],
      ['/api/v1/vendor/orders', { total_cents: 1 }],
      ['/api/v1/vendor/team', { email: `x-${v.vendorId}@shop.test`, password: 'password-123' }],
    ] as const) {
      const res = await api(t, v.token).post(path).send(body);
      expect(res.status).toBe(403);
      expect(res.body.error_code).toBe('SUBSCRIPTION_INACTIVE');
    }
    expect(await usage(t, v.vendorId)).toMatchObject({ products: 0, orders: 0, users: 1, products_count: 0, orders_this_period: 0, team_members_count: 1 });
    expect((await api(t, v.token).get('/api/v1/vendor/products')).status).toBe(200);
    expect((await api(t, v.token).get('/api/v1/vendor/billing/subscription')).body.status).toBe('expired');
  });

  it('lets a past_due vendor create inside the grace period and refuses it after', async () => {
    const v = await signUpVendor(t);
    const since = new Date(Date.now() - 13 * DAY);
    await setStatus(v.vendorId, { status: 'past_due', past_due_since: since });
    expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 })).status).toBe(201);

    t.clock.set(new Date(since.getTime() + 14 * DAY + 1000));
    const late = await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 });
    expect(late.status).toBe(403);
    expect(late.body.error_code).toBe('SUBSCRIPTION_INACTIVE');
    expect(await usage(t, v.vendorId)).toMatchObject({ orders: 1, orders_this_period: 1 });
  });

  it('lets a cancelled vendor create until its paid period ends', async () => {
    const v = await signUpVendor(t);
    const periodEnd = new Date(Date.now() + 5 * DAY);
    await setStatus(v.vendorId, { status: 'cancelled', period_end: periodEnd, cancelled_at: new Date() });
    expect((await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'before', price_cents: 1 })).status).toBe(201);
    t.clock.set(new Date(periodEnd.getTime() + 1000));
    const after = await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'after', price_cents: 1 });
    expect(after.status).toBe(403);
    expect(after.body.error_code).toBe('SUBSCRIPTION_INACTIVE');
  });

  it('enforces an admin’s new limit on the very next request', async () => {
    const v = await signUpVendor(t);
    await t.db.query(`INSERT INTO subscription_tiers (code, name, products_limit, orders_per_month, team_members, display_order) VALUES ('tight', 'Tight', 10, 3, 1, 50)`);
    await moveToTier(t, v.vendorId, 'tight');
    for (let i = 0; i < 2; i++) expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 })).status).toBe(201);

    const patch = await api(t, admin).patch('/api/v1/admin/subscription-tiers/tight').send({ orders_per_month: 2 });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({ code: 'tight', orders_per_month: 2, products_limit: 10 });
    const refused = await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 });
    expect(refused.status).toBe(403);
    expect(refused.body.details).toEqual({ limit_type: 'orders', current: 2, limit: 2, tier_code: 'tight' });

    expect((await api(t, admin).patch('/api/v1/admin/subscription-tiers/tight').send({ orders_per_month: null })).body.orders_per_month).toBeNull();
    expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 })).status).toBe(201);
  });

  it('creates, validates and lists tiers for admins only', async () => {
    const v = await signUpVendor(t);
    expect((await api(t, v.token).get('/api/v1/admin/subscription-tiers')).status).toBe(403);
    expect((await api(t, v.token).post('/api/v1/admin/subscription-tiers').send({ code: 'x1', name: 'X', products_limit: 1, orders_per_month: 1, team_members: 1 })).status).toBe(403);
    expect((await api(t, v.token).patch('/api/v1/admin/subscription-tiers/essential').send({ products_limit: 100000 })).status).toBe(403);

    const body = { code: 'growth', name: 'Growth', description: 'Between', price_monthly_cents: 14900, price_annual_cents: 149000, products_limit: null, orders_per_month: 1000, team_members: 5, features: ['basic_support', 'analytics'], display_order: 25 };
    const created = await api(t, admin).post('/api/v1/admin/subscription-tiers').send(body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, is_active: true, currency: 'eur', source: 'database' });
    expect((await api(t, admin).post('/api/v1/admin/subscription-tiers').send(body)).body.error_code).toBe('CONFLICT');

    const bad = await api(t, admin).post('/api/v1/admin/subscription-tiers').send({ code: 'Bad Code!', name: '', price_monthly_cents: -1, products_limit: -5, orders_per_month: 1.5, features: ['teleportation'] });
    expect(bad.status).toBe(400);
    const fields = bad.body.details.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['code', 'features', 'name', 'orders_per_month', 'price_monthly_cents', 'products_limit', 'team_members']);
    expect((await api(t, admin).patch('/api/v1/admin/subscription-tiers/growth').send({ code: 'renamed' })).status).toBe(400);
    expect((await api(t, admin).patch('/api/v1/admin/subscription-tiers/growth').send({ name: null })).status).toBe(400);
    const missing = await api(t, admin).patch('/api/v1/admin/subscription-tiers/nope').send({ name: 'Nope' });
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('TIER_NOT_FOUND');

    const list = await api(t, admin).get('/api/v1/admin/subscription-tiers');
    expect(list.body.map((x: { code: string }) => x.code)).toEqual(expect.arrayContaining(['essential', 'growth', 'enterprise']));
    expect((await api(t, admin).get('/api/v1/admin/subscription-tiers/growth')).body.orders_per_month).toBe(1000);
  });

  it('hides a deactivated tier from /tiers while its subscribers keep working', async () => {
    const v = await signUpVendor(t);
    await api(t, admin).post('/api/v1/admin/subscription-tiers').send({ code: 'legacy', name: 'Legacy', price_monthly_cents: 2900, products_limit: 5, orders_per_month: 5, team_members: 1, display_order: 2 });
    await moveToTier(t, v.vendorId, 'legacy');
    expect((await api(t, v.token).get('/api/v1/vendor/billing/tiers')).body.map((x: { code: string }) => x.code)).toContain('legacy');

    expect((await api(t, admin).patch('/api/v1/admin/subscription-tiers/legacy').send({ is_active: false })).body.is_active).toBe(false);
    const tiers = await api(t, v.token).get('/api/v1/vendor/billing/tiers');
    expect(tiers.body.map((x: { code: string }) => x.code)).not.toContain('legacy');
    expect(tiers.body.some((x: { is_current: boolean }) => x.is_current)).toBe(false);
    expect((await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'still works', price_cents: 1 })).status).toBe(201);
    const sub = await api(t, v.token).get('/api/v1/vendor/billing/subscription');
    expect(sub.body.tier).toEqual({ code: 'legacy', name: 'Legacy' });
    expect(sub.body.usage.products).toEqual({ current: 1, limit: 5, percent: 20, threshold_reached: null });
  });

  it('gates analytics behind the feature, then allows it on business', async () => {
    const v = await signUpVendor(t);
    const gated = await api(t, v.token).get('/api/v1/vendor/analytics/summary');
    expect(gated.status).toBe(403);
    expect(gated.body).toMatchObject({ error_code: 'FEATURE_NOT_AVAILABLE', details: { feature: 'analytics', cheapest_tier_code: expect.any(String) } });
    const cheapest = gated.body.details.cheapest_tier_code;
    expect(['business', 'growth']).toContain(cheapest);

    await moveToTier(t, v.vendorId, 'business');
    await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1200 });
    await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 800 });
    await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'P', price_cents: 1 });
    const summary = await api(t, v.token).get('/api/v1/vendor/analytics/summary');
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ products: 1, orders_this_period: 2, revenue_this_period_cents: 2000 });
  });

  it('keeps vendors apart: B can neither see nor delete A’s products or members', async () => {
    const a = await signUpVendor(t);
    const b = await signUpVendor(t);
    await moveToTier(t, a.vendorId, 'professional');
    const product = (await api(t, a.token).post('/api/v1/vendor/products').send({ name: 'A only', price_cents: 1 })).body;
    const member = (await api(t, a.token).post('/api/v1/vendor/team').send({ email: `a-member-${a.vendorId}@shop.test`, password: 'password-123' })).body;

    expect((await api(t, b.token).get('/api/v1/vendor/products')).body).toEqual({ items: [], total: 0 });
    expect((await api(t, b.token).get('/api/v1/vendor/team')).body.items.map((m: { id: number }) => m.id)).toEqual([b.userId]);
    const delProduct = await api(t, b.token).delete(`/api/v1/vendor/products/${product.id}`);
    expect(delProduct.status).toBe(404);
    expect(delProduct.body.error_code).toBe('NOT_FOUND');
    expect((await api(t, b.token).delete(`/api/v1/vendor/team/${member.id}`)).status).toBe(404);
    expect((await api(t, b.token).delete(`/api/v1/vendor/team/${a.userId}`)).status).toBe(404);

    expect(await usage(t, a.vendorId)).toMatchObject({ products: 1, products_count: 1, users: 2, team_members_count: 2 });
    expect(await usage(t, b.vendorId)).toMatchObject({ products: 0, products_count: 0, users: 1, team_members_count: 1 });
  });

  it('describes the subscription and the tiers as the contract says', async () => {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, 'professional', 'trial');
    await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1 });
    const sub = await api(t, v.token).get('/api/v1/vendor/billing/subscription');
    expect(sub.status).toBe(200);
    expect(sub.body).toEqual({
      tier: { code: 'professional', name: 'Professional' },
      status: 'trial',
      is_annual: false,
      trial_ends_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      period_start: expect.stringMatching(/Z$/),
      period_end: expect.stringMatching(/Z$/),
      cancel_at_period_end: false,
      cancel_at: null,
      cancelled_at: null,
      has_payment_method: false,
      ends_at: sub.body.trial_ends_at, // a trial without a card ends with the trial
      past_due_since: null,
      features: ['basic_support', 'priority_support'],
      usage: {
        products: { current: 0, limit: null, percent: null, threshold_reached: null },
        orders: { current: 1, limit: 500, percent: 0.2, threshold_reached: null },
        team_members: { current: 1, limit: 3, percent: 33.3, threshold_reached: null },
      },
      price: null, // no Stripe subscription: nothing billed (CONTRACT §11)
      price_change: null,
    });

    const tiers = await api(t, v.token).get('/api/v1/vendor/billing/tiers');
    expect(tiers.status).toBe(200);
    const byCode = Object.fromEntries(tiers.body.map((x: { code: string }) => [x.code, x]));
    expect(byCode.professional).toMatchObject({ is_current: true, can_upgrade: false, can_downgrade: false, price_monthly_cents: 9900, products_limit: null, orders_per_month: 500, team_members: 3 });
    expect(byCode.essential).toMatchObject({ is_current: false, can_upgrade: false, can_downgrade: true, name: 'Essential', description: expect.any(String), price_annual_cents: 49000, features: ['basic_support'] });
    expect(byCode.business).toMatchObject({ is_current: false, can_upgrade: true, can_downgrade: false });
    expect(byCode.enterprise).toMatchObject({ can_upgrade: true, price_monthly_cents: null, orders_per_month: null });
    const orders = tiers.body.map((x: { code: string }) => x.code);
    expect(orders.indexOf('essential')).toBeLessThan(orders.indexOf('professional'));
    expect(orders.indexOf('business')).toBeLessThan(orders.indexOf('enterprise'));
  });
});
