import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app.js';

// Login and signup share one limiter per client IP (AUTH_RATE_LIMIT_PER_MINUTE attempts a minute), counted in
// PostgreSQL. The API trusts X-Forwarded-For from loopback (a proxy on the same host), which is how these
// requests get distinct client IPs. `a` and `b` are two API replicas on one database.
describe('auth rate limit', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    b = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3', DATABASE_URL: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const login = (t: TestApp, ip: string) =>
    request(t.http).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ email: 'nobody@shop.test', password: 'wrong-password' });

  it('answers 429 in the error envelope, with Retry-After, after AUTH_RATE_LIMIT_PER_MINUTE attempts from one IP', async () => {
    const ip = '203.0.113.10';
    for (let i = 0; i < 3; i++) expect((await login(a, ip)).status).toBe(401);

    const limited = await login(a, ip);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ status_code: 429, error_code: 'RATE_LIMITED', message: expect.any(String) });
    expect(limited.headers['content-type']).toMatch(/application\/json/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
  });

  it('holds one limit across two replicas on one database', async () => {
    const ip = '203.0.113.50';
    expect((await login(a, ip)).status).toBe(401);
    expect((await login(b, ip)).status).toBe(401);
    expect((await login(a, ip)).status).toBe(401);
    // Per-process counters would allow three more on b; the shared one refuses on both.
    expect((await login(b, ip)).status).toBe(429);
    expect((await login(a, ip)).status).toBe(429);
    const [row] = await a.db.query(`SELECT hits FROM auth_rate_limits WHERE key = $1`, [`auth:${ip}`]);
    expect(row.hits).toBe(5);
  });

  it('counts parallel attempts on both replicas exactly (one atomic upsert per attempt)', async () => {
    const ip = '203.0.113.60';
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => login(i % 2 ? a : b, ip)));
    expect(answers.filter((r) => r.status === 401)).toHaveLength(3);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(7);
  });

  it('remembers across a restart: a new replica on the same database still refuses', async () => {
    const ip = '203.0.113.70';
    for (let i = 0; i < 3; i++) await login(b, ip);
    await b.close();
    b = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3', DATABASE_URL: a.databaseUrl });
    expect((await login(b, ip)).status).toBe(429);
  });

  it('starts a new window once the last one is over', async () => {
    const ip = '203.0.113.80';
    for (let i = 0; i < 4; i++) await login(a, ip);
    expect((await login(a, ip)).status).toBe(429);
    await a.db.query(`UPDATE auth_rate_limits SET window_start = now() - interval '61 seconds' WHERE key = $1`, [`auth:${ip}`]);
    expect((await login(b, ip)).status).toBe(401);
    const [row] = await a.db.query(`SELECT hits FROM auth_rate_limits WHERE key = $1`, [`auth:${ip}`]);
    expect(row.hits).toBe(1);
  });

  it('counts signups with logins and creates nothing once limited', async () => {
    const ip = '203.0.113.20';
    for (let i = 0; i < 3; i++) await login(a, ip);

    const signup = await request(b.http)
      .post('/api/v1/auth/signup')
      .set('X-Forwarded-For', ip)
      .send({ vendor_name: 'Late', vendor_code: 'late-shop', email: 'owner@late.test', password: 'password-123' });
    expect(signup.status).toBe(429);
    expect(signup.body.error_code).toBe('RATE_LIMITED');
    const [{ count }] = await a.db.query(`SELECT count(*)::int AS count FROM vendors WHERE code = 'late-shop'`);
    expect(count).toBe(0);
  });

  it('limits each IP on its own', async () => {
    for (let i = 0; i < 4; i++) await login(a, '203.0.113.30');
    expect((await login(a, '203.0.113.30')).status).toBe(429);
    expect((await login(a, '203.0.113.31')).status).toBe(401);
  });

  it('does not limit other routes', async () => {
    for (let i = 0; i < 5; i++) await login(a, '203.0.113.40');
    const health = await request(a.http).get('/health/live').set('X-Forwarded-For', '203.0.113.40');
    expect(health.status).toBe(200);
  });
});
