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
      active_definition: expect.stringContaining('not deactivated'),
      // One definition of active: vendors.active and subscriptions.active are the same count.
      vendors: { total: 5, active: 4, trial: 1, paying: 3, deactivated: 0 },
      subscriptions: { total: 5, active: 4, trial: 1, paying: 3, ended: 1 },
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
    // Each capture by hand is a run of the job, saying who asked.
    const runs = await t.db.query(`SELECT name, status, rows_affected, details FROM job_runs ORDER BY id`);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ name: 'capture-capacity-snapshot', status: 'succeeded', rows_affected: 1, details: { trigger: 'manual', admin_user_id: expect.any(Number), snapshot_date: '2026-03-15' } });
  });

  it('fits growth trends over every snapshot of the window and projects them 30 and 90 days ahead', async () => {
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
        vendors: {
          start_value: 140, current_value: 150, change: 10, growth_rate_percent: 7.14, daily_growth_rate: 0.238,
          slope_per_day: 0.3333, projection_30d: 160, projection_90d: 180, monthly_projection: 160, r_squared: 1, points: 3,
        },
        products: { start_value: 115000, current_value: 125000, change: 10000, growth_rate_percent: 8.7 },
      },
      series: { dates: ['2026-02-13', '2026-02-28', '2026-03-15'], values: { vendors: [140, 145, 150] } },
    });
    expect((await get('/trends?days=90')).body).toMatchObject({ snapshots_available: 4, trends: { vendors: { start_value: 50, points: 4 } } });
    expect((await get('/trends?days=0')).status).toBe(400);
  });

  it('follows the daily line, not an odd first or last day', async () => {
    // 30 days of +2 active vendors a day from 100, with an import spike on the first day and a dip on the last.
    for (let i = 0; i < 30; i++) {
      const value = i === 0 ? 300 : i === 29 ? 0 : 100 + 2 * i;
      await t.db.query(`INSERT INTO capacity_snapshots (snapshot_date, active_vendors) VALUES ($1::date + $2::int, $3)`, ['2026-02-14', i, value]);
    }
    const res = await get('/trends?days=30');
    expect(res.body.trends.active_vendors).toMatchObject({ slope_per_day: 2, projection_30d: 218, outliers: ['2026-02-14', '2026-03-15'], method: 'least_squares_trimmed' });
  });

  it('answers trends with no history without inventing numbers', async () => {
    const res = await get('/trends');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ period_days: 30, snapshots_available: 0, trends: {} });
  });

  it('does not warn about a few vendors filling their own plans, and names the current infrastructure tier', async () => {
    await seedPlatform(); // two essential vendors at 92.5 % of their products: their plans, not the platform
    const res = await get('/recommendations');
    expect(res.status).toBe(200);
    for (const r of res.body) expect(Object.keys(r).sort()).toEqual(['action', 'category', 'description', 'severity', 'title']);
    expect(res.body.filter((r: { severity: string }) => r.severity !== 'info')).toEqual([]);
    expect(res.body.filter((r: { category: string }) => r.category === 'capacity')).toEqual([]);
    expect(res.body).toContainEqual({
      category: 'infrastructure', severity: 'info', title: 'Current tier: Starter',
      description: expect.stringContaining('Next upgrade trigger: 50 vendors'), action: 'Monitor growth and plan for infrastructure scaling',
    });
    expect(res.body.find((r: { category: string }) => r.category === 'data')).toMatchObject({ severity: 'info' });
    expect(JSON.stringify(res.body)).not.toMatch(/SQLite/);
  });

  it('calls one new essential vendor filling its one seat healthy, not critical', async () => {
    await signUpVendor(t);
    await t.db.query(`INSERT INTO worker_heartbeats (worker_id, started_at, last_seen_at) VALUES ('w1', $1, $1)`, [NOW]);
    const health = await get('/health');
    expect(health.body.status).toBe('healthy');
    expect(health.body.recommendations.filter((r: { severity: string }) => r.severity !== 'info')).toEqual([]);
  });

  it('reports many vendors near their limits as an upsell signal (info)', async () => {
    for (let i = 0; i < 12; i++) await insertSubscription(t.db, { ...period, tier_code: 'essential', status: 'active', products_count: 195 });
    for (let i = 0; i < 8; i++) await insertSubscription(t.db, { ...period, tier_code: 'essential', status: 'active', products_count: 10 });
    const res = await get('/recommendations');
    expect(res.body).toContainEqual({
      category: 'capacity', severity: 'info', title: '12 vendors near their product limit',
      description: expect.stringContaining('12 of 20 active vendors'), action: expect.stringContaining('upsell'),
    });
  });

  it('names the date the next infrastructure tier is reached at the current rate', async () => {
    // 10 active vendors on 2026-02-13, one more a day: 40 on 2026-03-15, 50 (the Small tier) ten days later.
    for (let i = 0; i <= 30; i++) {
      await t.db.query(`INSERT INTO capacity_snapshots (snapshot_date, active_vendors) VALUES ($1::date + $2::int, $3)`, ['2026-02-13', i, 10 + i]);
    }
    await insertSubscription(t.db, { ...period, tier_code: 'essential', status: 'active' });
    const res = await get('/recommendations');
    expect(res.body).toContainEqual({
      category: 'infrastructure', severity: 'warning',
      title: 'At this rate 50 active vendors, the next infrastructure tier (Small), around 2026-03-25',
      description: expect.stringContaining('+1.00 active vendors a day over the last 90 days (r² 1.00)'), action: 'Plan the move to Small now',
    });
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
