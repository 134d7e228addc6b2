import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { signUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';

describe('auth and tenancy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_EMAIL: 'Root@Platform.test', ADMIN_PASSWORD: 'admin-password-1' });
  });
  afterAll(() => t.close());

  it('signs a vendor up with its owner and a trial on essential', async () => {
    const res = await request(t.http)
      .post('/api/v1/auth/signup')
      .send({ vendor_name: 'Acme', vendor_code: 'acme', email: 'Owner@Acme.test', password: 'password-123' });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, user: { email: 'owner@acme.test', role: 'vendor' }, vendor: { code: 'acme', name: 'Acme' } });
    expect(typeof res.body.access_token).toBe('string');
    const [sub] = await t.db.query(`SELECT tier_code, status, trial_ends_at, period_start, period_end, team_members_count FROM vendor_subscriptions WHERE vendor_id = $1`, [res.body.vendor.id]);
    expect(sub).toMatchObject({ tier_code: 'essential', status: 'trial', team_members_count: 1 });
    const trialDays = (sub.trial_ends_at.getTime() - Date.now()) / 86_400_000;
    expect(trialDays).toBeGreaterThan(29.9);
    expect(trialDays).toBeLessThan(30.1);
    expect(sub.period_end > sub.period_start).toBe(true);
  });

  it('logs in with the right password and refuses a wrong one', async () => {
    const v = await signUpVendor(t);
    const ok = await request(t.http).post('/api/v1/auth/login').send({ email: v.email.toUpperCase(), password: v.password });
    expect(ok.status).toBe(200);
    expect(ok.body.vendor.id).toBe(v.vendorId);

    const wrong = await request(t.http).post('/api/v1/auth/login').send({ email: v.email, password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ status_code: 401, error_code: 'UNAUTHORIZED', message: expect.any(String) });

    const unknown = await request(t.http).post('/api/v1/auth/login').send({ email: 'nobody@nowhere.test', password: 'whatever1' });
    expect(unknown.status).toBe(401);
  });

  it('answers 409 for a taken vendor code or e-mail and creates nothing', async () => {
    const v = await signUpVendor(t);
    const before = await t.db.query(`SELECT (SELECT count(*) FROM vendors) AS vendors, (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM vendor_subscriptions) AS subs`);

    const sameCode = await request(t.http).post('/api/v1/auth/signup').send({ vendor_name: 'X', vendor_code: v.code, email: 'fresh@x.test', password: 'password-123' });
    expect(sameCode.status).toBe(409);
    expect(sameCode.body.error_code).toBe('CONFLICT');

    const sameEmail = await request(t.http).post('/api/v1/auth/signup').send({ vendor_name: 'X', vendor_code: 'fresh-code', email: v.email, password: 'password-123' });
    expect(sameEmail.status).toBe(409);

    const after = await t.db.query(`SELECT (SELECT count(*) FROM vendors) AS vendors, (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM vendor_subscriptions) AS subs`);
    expect(after).toEqual(before);
  });

  it('lists every invalid field of a signup', async () => {
    const res = await request(t.http).post('/api/v1/auth/signup').send({ vendor_name: '', vendor_code: 'A!', email: 'not-an-email', password: 'short' });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('VALIDATION_FAILED');
    const fields = res.body.details.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['email', 'password', 'vendor_code', 'vendor_name']);
  });

  it('refuses unknown fields, malformed JSON and a body over 1 MB', async () => {
    const unknown = await request(t.http).post('/api/v1/auth/login').send({ email: 'a@b.test', password: 'password-1', is_admin: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details.errors).toEqual([{ field: 'is_admin', messages: [expect.stringContaining('should not exist')] }]);

    const malformed = await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"email": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ status_code: 400, error_code: 'VALIDATION_FAILED' });

    const big = await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/json').send(JSON.stringify({ email: 'x'.repeat(1_100_000) }));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ status_code: 413, error_code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses a body that is not an object, or nests absurdly deep, without touching anything', async () => {
    const array = await request(t.http).post('/api/v1/auth/signup').send([{ vendor_name: 'A', vendor_code: 'arr-shop', email: 'a@arr.test', password: 'password-1' }]);
    expect(array.status).toBe(400);
    expect(array.body).toMatchObject({ error_code: 'VALIDATION_FAILED', details: { errors: [{ field: 'body', messages: [expect.stringContaining('JSON object')] }] } });

    const deep = await request(t.http).post('/api/v1/auth/signup').set('Content-Type', 'application/json').send(`{"x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect(deep.status).toBe(400);
    expect(deep.body).toMatchObject({ error_code: 'VALIDATION_FAILED', details: { errors: [{ field: 'body' }] } });
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM vendors WHERE code = 'arr-shop'`);
    expect(count).toBe(0);
  });

  it('answers an unknown route in the envelope', async () => {
    const res = await request(t.http).get('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status_code: 404, error_code: 'NOT_FOUND' });
  });

  it('refuses a missing, forged or expired token', async () => {
    const v = await signUpVendor(t);
    const path = '/api/v1/auth/me';
    expect((await api(t, v.token).get(path)).body).toEqual({ user_id: v.userId, role: 'vendor', vendor_role: 'owner', vendor_id: v.vendorId });
    expect((await request(t.http).get(path)).status).toBe(401);
    expect((await api(t, 'not.a.jwt').get(path)).status).toBe(401);

    const forged = new JwtService({ secret: 'some-other-secret-some-other-secret' }).sign({ sub: String(v.userId), role: 'vendor', vid: v.vendorId });
    const forgedRes = await api(t, forged).get(path);
    expect(forgedRes.status).toBe(401);
    expect(forgedRes.body.error_code).toBe('UNAUTHORIZED');

    const expired = new JwtService({ secret: TEST_JWT_SECRET }).sign({ sub: String(v.userId), role: 'vendor', vid: v.vendorId }, { expiresIn: -10 });
    expect((await api(t, expired).get(path)).status).toBe(401);
  });

  it('stops taking a token it has already verified once the token expires', async () => {
    const v = await signUpVendor(t);
    const path = '/api/v1/auth/me';
    // Whole seconds: `exp` is in seconds, so the token lives 2–3 s (with 1 s, as before, it could end within a few
    // hundred ms, and two requests on a busy host did not always fit: a clean-clone CI failed on the second one).
    const shortLived = new JwtService({ secret: TEST_JWT_SECRET }).sign({ sub: String(v.userId), role: 'vendor', vid: v.vendorId }, { expiresIn: 3 });
    const { exp } = JSON.parse(Buffer.from(shortLived.split('.')[1], 'base64url').toString()) as { exp: number };
    expect((await api(t, shortLived).get(path)).status).toBe(200);
    expect((await api(t, shortLived).get(path)).status).toBe(200); // remembered as verified
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 50));
    const late = await api(t, shortLived).get(path);
    expect(late.status).toBe(401);
    expect(late.body.error_code).toBe('UNAUTHORIZED');
  });

  it('forbids a vendor token on an admin route, and lets the bootstrapped admin in', async () => {
    const v = await signUpVendor(t);
    const vendorOnAdmin = await api(t, v.token).get('/api/v1/admin/jobs');
    expect(vendorOnAdmin.status).toBe(403);
    expect(vendorOnAdmin.body.error_code).toBe('FORBIDDEN');

    const login = await request(t.http).post('/api/v1/auth/login').send({ email: 'root@platform.test', password: 'admin-password-1' });
    expect(login.status).toBe(200);
    expect(login.body.user.role).toBe('admin');
    expect(login.body.vendor).toBeNull();
    expect((await api(t, login.body.access_token).get('/api/v1/admin/jobs')).status).toBe(200);
    const [admin] = await t.db.query(`SELECT role, vendor_id FROM users WHERE email = 'root@platform.test'`);
    expect(admin).toEqual({ role: 'admin', vendor_id: null });
  });

  it('counts requests by route template on /metrics', async () => {
    const v = await signUpVendor(t);
    await request(t.http).post('/api/v1/auth/login').send({ email: v.email, password: v.password });
    const metrics = await request(t.http).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/auth\/login",status="200"\} \d+/);
  });

  it('answers the health probes', async () => {
    expect((await request(t.http).get('/health/live')).status).toBe(200);
    const ready = await request(t.http).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
  });
});
