import request from 'supertest';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { signUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { BODY_ROUTES, HOSTILE, HOSTILE_CODES, HOSTILE_QUERY, hostileIds, PATH_ROUTES, QUERY_ROUTES, type BodyRoute, type Caller } from './hostile-input.table.js';
import { tableFingerprint } from './table-fingerprint.js';

interface Answer {
  status: number;
  body: { status_code?: number; error_code?: string; message?: string; details?: { errors?: Array<{ field: string }> } };
}

/** What every hostile request must answer: a 4xx in the contract's envelope. */
function expectRefused(label: string, res: Answer, status?: number): void {
  const seen = { label, status: res.status, status_code: res.body.status_code, error_code: typeof res.body.error_code, message: typeof res.body.message };
  const want = { label, status: status ?? expect.any(Number), status_code: res.status, error_code: 'string', message: 'string' };
  expect(seen).toEqual(want);
  expect({ label, client_error: res.status >= 400 && res.status < 500 }).toEqual({ label, client_error: true });
}

const bodyOf = (route: BodyRoute, field: string, value: unknown) => ({ ...route.valid, [field]: value });

describe('hostile input: every body field, query and path value is answered 4xx and changes nothing', () => {
  let t: TestApp;
  const tokens: Record<Caller, string | undefined> = { anyone: undefined, owner: undefined, admin: undefined };
  let productId: number;
  let memberId: number;

  beforeAll(async () => {
    t = await createTestApp(ADMIN_ENV);
    const owner = await signUpVendor(t);
    await t.db.query(`UPDATE vendor_subscriptions SET tier_code = 'business' WHERE vendor_id = $1`, [owner.vendorId]);
    tokens.owner = owner.token;
    tokens.admin = await adminToken(t);
    productId = (await api(t, owner.token).post('/api/v1/vendor/products').send({ name: 'Keep me', price_cents: 100 })).body.id;
    memberId = (await api(t, owner.token).post('/api/v1/vendor/team').send({ email: `kept-${owner.vendorId}@shop.test`, password: 'password-123' })).body.id;
    expect(productId).toEqual(expect.any(Number));
    expect(memberId).toEqual(expect.any(Number));
  });
  afterAll(() => t.close());

  const send = (method: 'get' | 'post' | 'patch' | 'delete', path: string, as: Caller) => api(t, tokens[as])[method](path);

  it.each(BODY_ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))('%s: each field refuses each hostile value', async (_, route) => {
    const before = await tableFingerprint(t);
    for (const [field, kind] of Object.entries(route.fields)) {
      for (const [label, value, kinds] of HOSTILE) {
        if (!kinds.includes(kind) || (label === 'null' && route.nullable?.includes(field)) || route.allowed?.[field]?.includes(label)) continue;
        const res = await send(route.method, route.path, route.as).send(bodyOf(route, field, value));
        expectRefused(`${field} = ${label}`, res, 400);
        expect({ field, label, named: res.body.details?.errors?.some((e: { field: string }) => e.field === field || e.field.startsWith(`${field}.`)) }).toEqual({ field, label, named: true });
      }
    }
    expect(await tableFingerprint(t)).toEqual(before);
  });

  it.each(BODY_ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))('%s: refuses hostile bodies as a whole', async (_, route) => {
    const before = await tableFingerprint(t);
    const raw = (json: string) => send(route.method, route.path, route.as).set('Content-Type', 'application/json').send(json);
    const unknown = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',')}}`;

    const proto = await raw(JSON.stringify(route.valid).replace(/^\{/, '{"__proto__":{"is_admin":true},'.replace(/,$/, Object.keys(route.valid).length ? ',' : '')));
    expectRefused('__proto__ key', proto, 400);
    expect(proto.body.details.errors).toContainEqual({ field: '__proto__', messages: [expect.any(String)] });

    const huge = await raw(unknown(90_000));
    expectRefused('90,000 unknown keys', huge, 400);
    expect(huge.body.details.errors.length).toBeLessThanOrEqual(50);
    expect(huge.text.length).toBeLessThan(2_000);

    const sixty = await raw(unknown(60));
    expectRefused('60 unknown keys', sixty, 400);
    expect(sixty.body.details.errors).toHaveLength(50);

    expectRefused('array body', await raw('[1,2]'), 400);
    expectRefused('string body', await raw('"x"'), 400);
    expectRefused('40 levels deep', await raw(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`), 400);
    expectRefused('NUL in an unknown key', await raw(`{"a\\u0000b":1}`), 400);
    expect(await tableFingerprint(t)).toEqual(before);
  });

  it.each(QUERY_ROUTES.map((r) => [r.path, r] as const))('GET %s: each query parameter refuses each hostile value', async (_, route) => {
    const before = await tableFingerprint(t);
    for (const [param, kind] of Object.entries(route.params)) {
      for (const [label, value, kinds] of HOSTILE_QUERY) {
        if (!kinds.includes(kind)) continue;
        expectRefused(`${param} = ${label}`, await send('get', `${route.path}?${param}=${value}`, route.as), 400);
      }
      expectRefused(`${param} twice`, await send('get', `${route.path}?${param}=1&${param}=2`, route.as), 400);
    }
    const many = Array.from({ length: 150 }, (_, i) => `q${i}=1`).join('&');
    expectRefused('150 query parameters', await send('get', `${route.path}?${many}`, route.as), 400);
    expect(await tableFingerprint(t)).toEqual(before);
  });

  it.each(PATH_ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))('%s: refuses hostile path values', async (_, route) => {
    const before = await tableFingerprint(t);
    const existing = route.path.includes('/team/') ? memberId : productId;
    const values = route.kind === 'id' ? hostileIds(existing) : HOSTILE_CODES;
    for (const value of values) {
      const res = await send(route.method, route.path.replace('{}', value), route.as).send({});
      expectRefused(`path ${value.slice(0, 20)}`, res, route.kind === 'id' || value.includes('%') ? 400 : undefined);
    }
    expect(await tableFingerprint(t)).toEqual(before);
  });

  it('reads a plain decimal id as the id (the strictness above refuses only loose spellings)', async () => {
    const res = await request(t.http).delete(`/api/v1/vendor/products/${productId}`).set('Authorization', `Bearer ${tokens.owner}`);
    expect(res.status).toBe(204);
  });
});
