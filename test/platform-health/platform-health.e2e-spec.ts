import request from 'supertest';
import { signUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { at, insertSubscription } from '../worker/subscription-rows.js';

const NOW = at('2026-03-15T12:00:00Z');
const period = { period_start: at('2026-03-01T00:00:00Z'), period_end: at('2026-04-01T00:00:00Z') };

describe('admin platform-health API', () => {
  let t: TestApp;
  let admin: string;
  const get = (path: string) => api(t, admin).get(`/api/v1/admin/platform-health${path}`);

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_EMAIL: 'ops@platform.test', ADMIN_PASSWORD: 'admin-password-1' });
    const login = await request(t.http).post('/api/v1/auth/login').send({ email: 'ops@platform.test', password: 'admin-password-1' });
    admin = login.body.access_token;
  });
  afterAll(() => t.close());

  beforeEach(async () => {
    t.clock.set(NOW);
    // DELETE, not TRUNCATE … CASCADE, which would empty users and take the admin with it.
    await t.db.query(`DELETE FROM vendors; DELETE FROM capacity_snapshots; DELETE FROM job_runs`);
  });

  /** 2 essential near their limits, 1 professional trial, 1 enterprise, 1 expired. */
  async function seedPlatform() {
    await insertSubscription(t.db, { ...period, tier_code: 'essential', status: 'active', products_count: 190, orders_this_period: 95, team_members_count: 1 });
    await insertSubscription(t.db, { ...period, tier_code: 'essential', status: 'active', products_count: 180, orders_this_period: 40, team_members_count: 1 });
    await insertSubscription(t.db, { ...period, tier_code: 'professional', status: 'trial', trial_ends_at: at('2026-04-01T00:00:00Z'), products_count: 1000, orders_this_period: 100, team_members_count: 2 });
    await insertSubscription(t.db, { ...period, tier_code: 'enterprise', status: 'active', products_count: 5000, orders_this_period: 9000, team_members_count: 20 });
    await insertSubscription(t.db, { ...period, tier_code: 'essential', status: 'expired', products_count: 10 });
  }

  it('reports subscription capacity: tier distribution, actual vs theoretical, utilization and headroom', async () => {
    await seedPlatform();
    const res = await get('/subscription-capacity');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      total_subscriptions: 4,
      tier_distribution: { essential: 2, professional: 1, enterprise: 1 },
      // products: essential caps 2 × 200 = 400, 370 used; professional and enterprise are unlimited.
      products: { actual: 6370, theoretical_limit: 400, utilization_percent: 92.5, headroom: 30, unlimited_subscriptions: 2, unlimited_actual: 6000 },
      orders_monthly: { actual: 9235, theoretical_limit: 700, utilization_percent: 33.6, headroom: 465, unlimited_subscriptions: 1 },
      team_members: { actual: 24, theoretical_limit: 5, utilization_percent: 80, headroom: 1 },
    });
  });

  it('reports capacity with the infrastructure tier of the scaling table', async () => {
    await seedPlatform();
    const res = await get('/capacity');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      vendors: { total: 5, active: 4, trial: 1 },
      subscriptions: { total: 5, live: 4, active: 3, trial: 1 },
      resources: { products: 6380, orders_this_period: 9235, team_members: 25 },
      database: { size_mb: expect.any(Number) },
      infrastructure: { current_tier: { name: 'Starter', max_clients: 50 }, next_tier: { name: 'Small' }, next_upgrade_at_vendors: 50 },
    });
  });

  it('captures a snapshot on POST, one row per day however often it is called', async () => {
    await seedPlatform();
    const first = await api(t, admin).post('/api/v1/admin/platform-health/snapshot');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ snapshot_date: '2026-03-15', total_vendors: 5, total_products: 6380, theoretical_products_limit: 400, tier_distribution: { essential: 2, professional: 1, enterprise: 1 } });

    await insertSubscription(t.db, { ...period, tier_code: 'business', status: 'active', products_count: 20 });
    const again = await api(t, admin).post('/api/v1/admin/platform-health/snapshot');
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, total_vendors: 6, total_products: 6400 });
    expect(await t.db.query(`SELECT count(*)::int AS n FROM capacity_snapshots`)).toEqual([{ n: 1 }]);
  });

  it('computes growth trends between the first and latest snapshot of the window', async () => {
    const snapshot = (date: string, vendors: number, products: number) =>
      t.db.query(`INSERT INTO capacity_snapshots (snapshot_date, total_vendors, total_products) VALUES ($1, $2, $3)`, [date, vendors, products]);
    await snapshot('2026-01-01', 50, 1000); // outside a 30-day window
    await snapshot('2026-02-13', 140, 115000);
    await snapshot('2026-02-28', 145, 120000);
    await snapshot('2026-03-15', 150, 125000);

    const res = await get('/trends?days=30');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      period_days: 30,
      snapshots_available: 3,
      start_date: '2026-02-13',
      end_date: '2026-03-15',
      trends: {
        vendors: { start_value: 140, current_value: 150, change: 10, growth_rate_percent: 7.14, daily_growth_rate: 0.238, monthly_projection: 161 },
        products: { start_value: 115000, current_value: 125000, change: 10000, growth_rate_percent: 8.7 },
      },
    });
    expect((await get('/trends?days=90')).body).toMatchObject({ snapshots_available: 4, trends: { vendors: { start_value: 50 } } });
    expect((await get('/trends?days=0')).status).toBe(400);
  });

  it('answers trends with no history without inventing numbers', async () => {
    const res = await get('/trends');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ period_days: 30, snapshots_available: 0, trends: {} });
  });

  it('recommends on near-full capacity and names the current infrastructure tier', async () => {
    await seedPlatform();
    const res = await get('/recommendations');
    expect(res.status).toBe(200);
    for (const r of res.body) expect(Object.keys(r).sort()).toEqual(['action', 'category', 'description', 'severity', 'title']);
    expect(res.body[0]).toMatchObject({ category: 'capacity', severity: 'critical', title: 'Product capacity nearly exhausted', description: expect.stringContaining('92.5%') });
    expect(res.body).toContainEqual(expect.objectContaining({ category: 'capacity', severity: 'warning', title: 'Team capacity approaching limit' }));
    expect(res.body).toContainEqual({
      category: 'infrastructure', severity: 'info', title: 'Current tier: Starter',
      description: expect.stringContaining('Next upgrade trigger: 50 vendors'), action: 'Monitor growth and plan for infrastructure scaling',
    });
    expect(res.body.find((r: { category: string }) => r.category === 'data')).toMatchObject({ severity: 'info' });
  });

  it('gives the full health report with the worker\'s last runs', async () => {
    await signUpVendor(t);
    await t.db.query(`INSERT INTO job_runs (name, status, started_at, finished_at, rows_affected, error) VALUES
      ('reset-period-counters', 'succeeded', '2026-03-14T00:05:00Z', '2026-03-14T00:05:01Z', 3, NULL),
      ('reset-period-counters', 'failed', '2026-03-15T00:05:00Z', '2026-03-15T00:05:01Z', 0, 'boom')`);
    const res = await get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'degraded',
      database: { status: 'up', latency_ms: expect.any(Number) },
      capacity: { vendors: { total: 1 } },
      subscription_capacity: { total_subscriptions: 1, tier_distribution: { essential: 1 } },
      trends: { period_days: 30 },
      jobs: { last_runs: [expect.objectContaining({ name: 'reset-period-counters', status: 'failed', error: 'boom' })], failing: ['reset-period-counters'] },
      recommendations: expect.arrayContaining([expect.objectContaining({ category: 'infrastructure' })]),
    });
  });

  it('is for admins only', async () => {
    const vendor = await signUpVendor(t);
    for (const path of ['/health', '/capacity', '/subscription-capacity', '/trends', '/recommendations']) {
      expect((await api(t, vendor.token).get(`/api/v1/admin/platform-health${path}`)).status).toBe(403);
      expect((await request(t.http).get(`/api/v1/admin/platform-health${path}`)).status).toBe(401);
    }
    expect((await api(t, vendor.token).post('/api/v1/admin/platform-health/snapshot')).status).toBe(403);
  });

  it('lists the worker\'s recent runs on /admin/jobs', async () => {
    await t.db.query(`INSERT INTO job_runs (name, status, started_at, finished_at, rows_affected) VALUES ('capture-capacity-snapshot', 'succeeded', '2026-03-15T00:00:00Z', '2026-03-15T00:00:01Z', 1)`);
    const res = await api(t, admin).get('/api/v1/admin/jobs');
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ name: 'capture-capacity-snapshot', status: 'succeeded', started_at: '2026-03-15T00:00:00.000Z', finished_at: '2026-03-15T00:00:01.000Z', rows_affected: 1, error: null });
  });
});
