import request from 'supertest';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { at, insertSubscription, subscriptionOf } from '../worker/subscription-rows.js';

const NOW = at('2026-03-15T12:00:00Z');
const DAY = 86_400_000;

// CONTRACT §7: the admin's vendor search, the vendor page and the audited actions.
describe('admin vendors API', () => {
  let t: TestApp;
  let admin: string;
  let adminId: number;
  const as = () => api(t, admin);

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_EMAIL: 'ops@platform.test', ADMIN_PASSWORD: 'admin-password-1' });
    const login = await request(t.http).post('/api/v1/auth/login').send({ email: 'ops@platform.test', password: 'admin-password-1' });
    admin = login.body.access_token;
    adminId = login.body.user.id;
  });
  afterAll(() => t.close());

  beforeEach(async () => {
    t.clock.set(NOW);
    await t.db.query(`DELETE FROM vendors; DELETE FROM admin_audit_log; DELETE FROM stripe_webhook_events`);
  });

  const auditRows = () => t.db.query(`SELECT admin_user_id, vendor_id, action, before, after, created_at FROM admin_audit_log ORDER BY id`);

  describe('GET /vendors', () => {
    let alpha: SignedUpVendor, beta: SignedUpVendor;
    beforeEach(async () => {
      alpha = await signUpVendor(t, { code: 'alpha-shop', name: 'Alpha Garden Supplies', email: 'Owner@Alpha.test' });
      t.clock.set(new Date(NOW.getTime() + 1000));
      beta = await signUpVendor(t, { code: 'beta-50-off', name: 'Beta 50% Off', email: 'boss@beta.test' });
      await t.db.query(`UPDATE vendor_subscriptions SET status = 'active', tier_code = 'business', products_count = 7 WHERE vendor_id = $1`, [beta.vendorId]);
    });

    it('lists vendors newest first with owner, tier, status and usage', async () => {
      const res = await as().get('/api/v1/admin/vendors');
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(2);
      expect(res.body.items.map((v: { code: string }) => v.code)).toEqual(['beta-50-off', 'alpha-shop']);
      expect(res.body.items[1]).toEqual({
        id: alpha.vendorId, code: 'alpha-shop', name: 'Alpha Garden Supplies', owner_email: 'owner@alpha.test', is_active: true,
        tier_code: 'essential', status: 'trial', created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        usage: { products: { current: 0, limit: 200, percent: 0 }, orders: { current: 0, limit: 100, percent: 0 }, team_members: { current: 1, limit: 1, percent: 100 } },
      });
      expect(res.body.items[0].usage.products).toEqual({ current: 7, limit: null, percent: null });
    });

    it('matches q against code, name or owner e-mail, case-insensitively, with % and _ taken literally', async () => {
      const codes = async (q: string) => (await as().get('/api/v1/admin/vendors').query({ q })).body.items.map((v: { code: string }) => v.code);
      expect(await codes('ALPHA-')).toEqual(['alpha-shop']);
      expect(await codes('garden')).toEqual(['alpha-shop']);
      expect(await codes('boss@beta')).toEqual(['beta-50-off']);
      expect(await codes('50%')).toEqual(['beta-50-off']);
      expect(await codes('%')).toEqual(['beta-50-off']);
      expect(await codes('_')).toEqual([]);
      expect(await codes('nobody')).toEqual([]);
    });

    it('filters by status and tier, and pages with a total', async () => {
      const get = (query: Record<string, string | number>) => as().get('/api/v1/admin/vendors').query(query);
      expect((await get({ status: 'trial' })).body).toMatchObject({ total: 1, items: [{ code: 'alpha-shop' }] });
      expect((await get({ tier_code: 'business' })).body).toMatchObject({ total: 1, items: [{ code: 'beta-50-off' }] });
      expect((await get({ status: 'active', tier_code: 'essential' })).body).toEqual({ total: 0, items: [] });
      expect((await get({ limit: 1, offset: 1 })).body).toMatchObject({ total: 2, items: [{ code: 'alpha-shop' }] });
      expect((await get({ limit: 1, offset: 5 })).body).toEqual({ total: 2, items: [] });
    });

    it('refuses bad filters and paging with VALIDATION_FAILED', async () => {
      for (const query of [{ limit: 0 }, { limit: 101 }, { offset: -1 }, { status: 'paused' }, { tier_code: 'NOT A CODE' }, { limit: 'ten' }, { q: 'x'.repeat(201) }]) {
        const res = await as().get('/api/v1/admin/vendors').query(query);
        expect({ query, status: res.status, code: res.body.error_code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
      }
    });
  });

  describe('GET /vendors/{id}', () => {
    it('shows the vendor, its /subscription body, add-ons, invoices, Stripe events and audit in one place', async () => {
      const v = await signUpVendor(t, { code: 'gamma-shop' });
      await t.db.query(`UPDATE vendor_subscriptions SET stripe_customer_id = 'cus_gamma' WHERE vendor_id = $1`, [v.vendorId]);
      await t.db.query(
        `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, payload, received_at) VALUES
           ('evt_gamma', 'invoice.paid', 'processed', 1, '{"data":{"object":{"customer":"cus_gamma"}}}', $1),
           ('evt_other', 'invoice.paid', 'processed', 1, '{"data":{"object":{"customer":"cus_other"}}}', $1)`,
        [NOW],
      );
      await t.db.query(
        `INSERT INTO billing_history (vendor_id, stripe_invoice_id, invoice_date, total_cents, amount_paid_cents, currency, status)
         VALUES ($1, 'in_gamma_1', $2, 4900, 4900, 'eur', 'paid')`,
        [v.vendorId, NOW],
      );
      const own = await api(t, v.token).get('/api/v1/vendor/billing/subscription');

      const res = await as().get(`/api/v1/admin/vendors/${v.vendorId}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        vendor: { id: v.vendorId, code: 'gamma-shop', owner_email: v.email, is_active: true, stripe_customer_id: 'cus_gamma' },
        subscription: own.body,
        add_ons: [],
        invoices: [{ stripe_invoice_id: 'in_gamma_1', total_cents: 4900, status: 'paid' }],
        invoices_total: 1,
        stripe_events: [{ event_id: 'evt_gamma', type: 'invoice.paid', status: 'processed' }],
        platform_events: { available: false, items: [] },
        audit: [],
      });
      expect(res.body.stripe_events).toHaveLength(1);
    });

    it('answers 404 for an unknown vendor and 400 for an id that is not a plain integer', async () => {
      expect((await as().get('/api/v1/admin/vendors/999999')).body).toMatchObject({ status_code: 404, error_code: 'NOT_FOUND' });
      for (const id of ['0', '0xC', '12.0', '1e1', 'abc', '99999999999']) {
        expect({ id, status: (await as().get(`/api/v1/admin/vendors/${id}`)).status }).toEqual({ id, status: 400 });
      }
    });
  });

  describe('POST /vendors/{id}/extend-trial', () => {
    it('moves the trial end by the days given and records who did it, before and after', async () => {
      const v = await signUpVendor(t);
      const before = (await subscriptionOf(t.db, v.vendorId)).trial_ends_at as Date;
      const res = await as().post(`/api/v1/admin/vendors/${v.vendorId}/extend-trial`).send({ days: 14 });
      expect(res.status).toBe(200);
      const expected = new Date(before.getTime() + 14 * DAY).toISOString();
      expect(res.body).toMatchObject({
        action: 'extend_trial', vendor_id: v.vendorId,
        before: { status: 'trial', trial_ends_at: before.toISOString() }, after: { status: 'trial', trial_ends_at: expected },
        audit: { admin_user_id: adminId, admin_email: 'ops@platform.test', action: 'extend_trial' },
      });
      expect(((await subscriptionOf(t.db, v.vendorId)).trial_ends_at as Date).toISOString()).toBe(expected);
      expect((await api(t, v.token).get('/api/v1/vendor/billing/subscription')).body.trial_ends_at).toBe(expected);
      expect(await auditRows()).toEqual([{
        admin_user_id: adminId, vendor_id: v.vendorId, action: 'extend_trial', created_at: NOW,
        before: expect.objectContaining({ trial_ends_at: before.toISOString() }), after: expect.objectContaining({ trial_ends_at: expected }),
      }]);
    });

    it('extends from now a trial that has ended but not yet been expired by the job', async () => {
      const { vendorId } = await insertSubscription(t.db, { status: 'trial', trial_ends_at: at('2026-03-10T00:00:00Z'), period_start: at('2026-03-01T00:00:00Z'), period_end: at('2026-04-01T00:00:00Z') });
      const res = await as().post(`/api/v1/admin/vendors/${vendorId}/extend-trial`).send({ days: 7 });
      expect(res.body.after.trial_ends_at).toBe('2026-03-22T12:00:00.000Z');
    });

    it('refuses days outside 1–90 or not an integer, and changes nothing', async () => {
      const v = await signUpVendor(t);
      for (const body of [{ days: 0 }, { days: 91 }, { days: 1.5 }, { days: '7' }, {}, { days: null }]) {
        const res = await as().post(`/api/v1/admin/vendors/${v.vendorId}/extend-trial`).send(body);
        expect({ body, status: res.status, code: res.body.error_code }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
      }
      expect(await auditRows()).toEqual([]);
    });

    it('extends only a trial kept here: 409 for an active subscription or a trial on Stripe, 404 for no vendor', async () => {
      const period = { period_start: at('2026-03-01T00:00:00Z'), period_end: at('2026-04-01T00:00:00Z') };
      const active = await insertSubscription(t.db, { ...period, status: 'active' });
      const stripeTrial = await insertSubscription(t.db, { ...period, status: 'trial', trial_ends_at: at('2026-03-20T00:00:00Z'), stripe_subscription_id: 'sub_trial' });
      for (const id of [active.vendorId, stripeTrial.vendorId]) {
        const res = await as().post(`/api/v1/admin/vendors/${id}/extend-trial`).send({ days: 7 });
        expect(res.body).toMatchObject({ status_code: 409, error_code: 'CONFLICT' });
      }
      expect((await as().post('/api/v1/admin/vendors/999999/extend-trial').send({ days: 7 })).status).toBe(404);
      expect(await auditRows()).toEqual([]);
    });
  });

  describe('POST /vendors/{id}/assign-tier', () => {
    it('puts a vendor Stripe does not bill on Enterprise by hand, active, effective on its next request', async () => {
      const v = await signUpVendor(t);
      const res = await as().post(`/api/v1/admin/vendors/${v.vendorId}/assign-tier`).send({ tier_code: 'enterprise' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ action: 'assign_tier', before: { tier_code: 'essential', status: 'trial' }, after: { tier_code: 'enterprise', status: 'active' } });
      const own = await api(t, v.token).get('/api/v1/vendor/billing/subscription');
      expect(own.body).toMatchObject({ tier: { code: 'enterprise' }, status: 'active', usage: { team_members: { limit: null } } });
      expect(await auditRows()).toEqual([expect.objectContaining({ admin_user_id: adminId, vendor_id: v.vendorId, action: 'assign_tier' })]);
    });

    it('brings back an expired vendor whose Stripe subscription ended, forgetting that subscription', async () => {
      const { vendorId } = await insertSubscription(t.db, { status: 'expired', stripe_subscription_id: 'sub_gone', orders_this_period: 40, period_start: at('2026-01-01T00:00:00Z'), period_end: at('2026-02-01T00:00:00Z') });
      const res = await as().post(`/api/v1/admin/vendors/${vendorId}/assign-tier`).send({ tier_code: 'business' });
      expect(res.status).toBe(200);
      expect(await subscriptionOf(t.db, vendorId)).toMatchObject({ tier_code: 'business', status: 'active', stripe_subscription_id: null, orders_this_period: 0, period_start: NOW });
    });

    it('refuses a vendor Stripe bills (409), an unknown tier (404), and limits below usage (409), changing nothing', async () => {
      const period = { period_start: at('2026-03-01T00:00:00Z'), period_end: at('2026-04-01T00:00:00Z') };
      const billed = await insertSubscription(t.db, { ...period, status: 'active', tier_code: 'professional', stripe_subscription_id: 'sub_live' });
      expect((await as().post(`/api/v1/admin/vendors/${billed.vendorId}/assign-tier`).send({ tier_code: 'enterprise' })).body).toMatchObject({ status_code: 409, error_code: 'CONFLICT' });

      const big = await insertSubscription(t.db, { ...period, status: 'active', tier_code: 'business', products_count: 500, team_members_count: 4 });
      expect((await as().post(`/api/v1/admin/vendors/${big.vendorId}/assign-tier`).send({ tier_code: 'nope' })).body).toMatchObject({ status_code: 404, error_code: 'TIER_NOT_FOUND' });
      const down = await as().post(`/api/v1/admin/vendors/${big.vendorId}/assign-tier`).send({ tier_code: 'essential' });
      expect(down.body).toMatchObject({ status_code: 409, error_code: 'DOWNGRADE_EXCEEDS_LIMITS' });
      expect(await subscriptionOf(t.db, big.vendorId)).toMatchObject({ tier_code: 'business' });
      for (const body of [{}, { tier_code: '' }, { tier_code: 'Enterprise!' }, { tier_code: 7 }]) {
        expect((await as().post(`/api/v1/admin/vendors/${big.vendorId}/assign-tier`).send(body)).status).toBe(400);
      }
      expect(await auditRows()).toEqual([]);
    });
  });

  describe('POST /vendors/{id}/deactivate and /activate', () => {
    it('deactivates a vendor (its users cannot log in) and activates it again, each audited', async () => {
      const v = await signUpVendor(t);
      const off = await as().post(`/api/v1/admin/vendors/${v.vendorId}/deactivate`);
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({ action: 'deactivate', before: { is_active: true }, after: { is_active: false } });
      expect((await t.db.query(`SELECT is_active FROM vendors WHERE id = $1`, [v.vendorId]))[0].is_active).toBe(false);
      expect([401, 403]).toContain((await request(t.http).post('/api/v1/auth/login').send({ email: v.email, password: v.password })).status);
      expect((await as().get('/api/v1/admin/vendors').query({ q: v.code })).body.items[0].is_active).toBe(false);

      const on = await as().post(`/api/v1/admin/vendors/${v.vendorId}/activate`);
      expect(on.body).toMatchObject({ action: 'activate', before: { is_active: false }, after: { is_active: true } });
      expect((await request(t.http).post('/api/v1/auth/login').send({ email: v.email, password: v.password })).status).toBe(200);

      expect((await auditRows()).map((r: { action: string; admin_user_id: number }) => [r.action, r.admin_user_id])).toEqual([['deactivate', adminId], ['activate', adminId]]);
      const detail = await as().get(`/api/v1/admin/vendors/${v.vendorId}`);
      expect(detail.body.audit.map((a: { action: string }) => a.action)).toEqual(['activate', 'deactivate']);
    });

    it('answers 404 for an unknown vendor', async () => {
      expect((await as().post('/api/v1/admin/vendors/999999/deactivate')).status).toBe(404);
      expect((await as().post('/api/v1/admin/vendors/999999/activate')).status).toBe(404);
      expect(await auditRows()).toEqual([]);
    });
  });

  it('is for admins only: 403 with a vendor token, 401 without one', async () => {
    const v = await signUpVendor(t);
    const calls: Array<[string, string, object?]> = [
      ['get', '/api/v1/admin/vendors'], ['get', `/api/v1/admin/vendors/${v.vendorId}`],
      ['post', `/api/v1/admin/vendors/${v.vendorId}/extend-trial`, { days: 7 }], ['post', `/api/v1/admin/vendors/${v.vendorId}/assign-tier`, { tier_code: 'enterprise' }],
      ['post', `/api/v1/admin/vendors/${v.vendorId}/deactivate`], ['post', `/api/v1/admin/vendors/${v.vendorId}/activate`],
      ['get', '/api/v1/admin/jobs/schedule'],
    ];
    for (const [method, path, body] of calls) {
      const asVendor = method === 'get' ? api(t, v.token).get(path) : api(t, v.token).post(path).send(body ?? {});
      const anonymous = method === 'get' ? request(t.http).get(path) : request(t.http).post(path).send(body ?? {});
      expect({ path, status: (await asVendor).status }).toEqual({ path, status: 403 });
      expect({ path, status: (await anonymous).status }).toEqual({ path, status: 401 });
    }
    expect(await auditRows()).toEqual([]);
    expect(await subscriptionOf(t.db, v.vendorId)).toMatchObject({ tier_code: 'essential', status: 'trial' });
  });
});
