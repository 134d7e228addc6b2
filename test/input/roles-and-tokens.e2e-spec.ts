import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';
import { tableFingerprint } from './table-fingerprint.js';

/** Every billing and team mutation: only the owner may (CONTRACT §3). */
const OWNER_ONLY: Array<[method: 'post' | 'delete', path: (ids: { owner: number; member: number }) => string, body?: object]> = [
  ['post', () => '/api/v1/vendor/billing/checkout', { tier_code: 'professional', is_annual: false }],
  ['post', () => '/api/v1/vendor/billing/portal', {}],
  ['post', () => '/api/v1/vendor/billing/change-tier', { tier_code: 'business' }],
  ['post', () => '/api/v1/vendor/billing/sync', {}],
  ['post', () => '/api/v1/vendor/billing/cancel', { immediately: true }],
  ['post', () => '/api/v1/vendor/billing/reactivate', {}],
  ['post', () => '/api/v1/vendor/billing/addons/purchase', { addon_code: 'domain', domain_name: 'shop.example.com' }],
  ['delete', () => '/api/v1/vendor/billing/addons/1'],
  ['post', () => '/api/v1/vendor/team', { email: 'another@shop.test', password: 'password-123' }],
  ['delete', (ids) => `/api/v1/vendor/team/${ids.member}`],
  ['delete', (ids) => `/api/v1/vendor/team/${ids.owner}`],
];

describe('vendor roles and what a token stands for', () => {
  let t: TestApp;
  let owner: SignedUpVendor;
  let member: { id: number; token: string; email: string };

  beforeAll(async () => {
    t = await createTestApp();
    owner = await signUpVendor(t);
    await t.db.query(`UPDATE vendor_subscriptions SET tier_code = 'professional' WHERE vendor_id = $1`, [owner.vendorId]);
    const email = `member-${owner.vendorId}@shop.test`;
    const added = await api(t, owner.token).post('/api/v1/vendor/team').send({ email, password: 'password-123' });
    expect(added.status).toBe(201);
    const login = await api(t).post('/api/v1/auth/login').send({ email, password: 'password-123' });
    expect(login.status).toBe(200);
    member = { id: added.body.id, token: login.body.access_token, email };
  });
  afterAll(() => t.close());

  it('says who is the owner and who is a member at signup, login and in the team list', async () => {
    const signup = await api(t).post('/api/v1/auth/signup').send({ vendor_name: 'Roles', vendor_code: `roles-${owner.vendorId}`, email: `roles-${owner.vendorId}@shop.test`, password: 'password-123' });
    expect(signup.body.user).toMatchObject({ role: 'vendor', vendor_role: 'owner' });
    const memberLogin = await api(t).post('/api/v1/auth/login').send({ email: member.email, password: 'password-123' });
    expect(memberLogin.body.user).toMatchObject({ role: 'vendor', vendor_role: 'member' });
    const ownerLogin = await api(t).post('/api/v1/auth/login').send({ email: owner.email, password: owner.password });
    expect(ownerLogin.body.user).toMatchObject({ role: 'vendor', vendor_role: 'owner' });

    const team = await api(t, member.token).get('/api/v1/vendor/team');
    expect(team.status).toBe(200);
    expect(team.body.items.map((m: { id: number; vendor_role: string }) => [m.id, m.vendor_role])).toEqual([[owner.userId, 'owner'], [member.id, 'member']]);
  });

  it('refuses a member every billing and team mutation with 403 FORBIDDEN, before any other check, and changes nothing', async () => {
    const before = await tableFingerprint(t);
    for (const [method, path, body] of OWNER_ONLY) {
      const url = path({ owner: owner.userId, member: member.id });
      for (const sent of [body, { not_a_field: '\u0000' }]) {
        const res = await api(t, member.token)[method](url).send(sent ?? {});
        expect({ url, status: res.status, body: res.body }).toEqual({ url, status: 403, body: { status_code: 403, error_code: 'FORBIDDEN', message: expect.any(String) } });
      }
    }
    expect(await tableFingerprint(t)).toEqual(before);
  });

  it('lets a member read everything and create products and orders', async () => {
    for (const path of ['subscription', 'tiers', 'invoices', 'addons', 'my-addons']) {
      expect((await api(t, member.token).get(`/api/v1/vendor/billing/${path}`)).status).toBe(200);
    }
    expect((await api(t, member.token).get('/api/v1/vendor/products')).status).toBe(200);
    expect((await api(t, member.token).post('/api/v1/vendor/products').send({ name: 'Mug', price_cents: 100 })).status).toBe(201);
    expect((await api(t, member.token).post('/api/v1/vendor/orders').send({ total_cents: 100 })).status).toBe(201);
  });

  it('lets the owner past the role check (here to the missing Stripe configuration)', async () => {
    const res = await api(t, owner.token).post('/api/v1/vendor/billing/portal').send({});
    expect(res.body.error_code).toBe('PAYMENT_SYSTEM_NOT_CONFIGURED');
  });

  it('shows the owner-only routes in the OpenAPI document', async () => {
    const doc = (await request(t.http).get('/api/docs-json')).body;
    for (const [path, method] of [['/api/v1/vendor/billing/cancel', 'post'], ['/api/v1/vendor/team', 'post'], ['/api/v1/vendor/team/{id}', 'delete'], ['/api/v1/vendor/billing/addons/purchase', 'post']] as const) {
      expect(doc.paths[path][method].responses['403'].description).toMatch(/owner/);
    }
  });

  it('stops a deactivated vendor\'s tokens at once and refuses its users a login, until it is active again', async () => {
    const v = await signUpVendor(t);
    expect((await api(t, v.token).get('/api/v1/vendor/products')).status).toBe(200);
    await t.db.query(`UPDATE vendors SET is_active = false WHERE id = $1`, [v.vendorId]);

    const refused = await api(t, v.token).get('/api/v1/vendor/products');
    expect(refused.status).toBe(401);
    expect(refused.body.error_code).toBe('UNAUTHORIZED');
    const login = await api(t).post('/api/v1/auth/login').send({ email: v.email, password: v.password });
    expect([401, 403]).toContain(login.status);
    expect(login.body.access_token).toBeUndefined();

    await t.db.query(`UPDATE vendors SET is_active = true WHERE id = $1`, [v.vendorId]);
    expect((await api(t, v.token).get('/api/v1/vendor/products')).status).toBe(200);
    expect((await api(t).post('/api/v1/auth/login').send({ email: v.email, password: v.password })).status).toBe(200);
  });

  it('answers 401 for a validly signed token whose claims do not name a user, and for a malformed header', async () => {
    const jwt = new JwtService({ secret: TEST_JWT_SECRET });
    const sign = (claims: object) => jwt.signAsync(claims, { expiresIn: 600, algorithm: 'HS256' });
    const path = '/api/v1/vendor/products';
    for (const sub of ['abc', '0x10', ' 1', '1.0', '99999999999', '', String(owner.userId) + '\u0000']) {
      const res = await api(t, await sign({ sub, role: 'vendor', vid: owner.vendorId })).get(path);
      expect({ sub, status: res.status, code: res.body.error_code }).toEqual({ sub, status: 401, code: 'UNAUTHORIZED' });
    }
    const numericSub = await api(t, await sign({ sub: owner.userId, role: 'vendor', vid: owner.vendorId })).get(path);
    expect(numericSub.status).toBe(401);
    const wrongRole = await api(t, await sign({ sub: String(owner.userId), role: 'admin', vid: null })).get('/api/v1/auth/me');
    expect(wrongRole.status).toBe(401);

    for (const header of [`Bearer ${owner.token} garbage`, `Bearer  ${owner.token}`, `Bearer ${owner.token},x`, `Basic ${owner.token}`, owner.token, `Bearer`]) {
      const res = await request(t.http).get(path).set('Authorization', header);
      expect({ header: header.slice(0, 12), status: res.status, code: res.body.error_code }).toEqual({ header: header.slice(0, 12), status: 401, code: 'UNAUTHORIZED' });
    }
    expect((await request(t.http).get(path).set('Authorization', `bearer ${owner.token}`)).status).toBe(200);
  });
});
