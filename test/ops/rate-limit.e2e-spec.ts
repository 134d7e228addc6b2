import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app.js';

// Login and signup share one limiter per client IP (AUTH_RATE_LIMIT_PER_MINUTE attempts a minute). The API trusts
// X-Forwarded-For from loopback (a proxy on the same host), which is how these requests get distinct client IPs.
describe('auth rate limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => t.close());

  const login = (ip: string) =>
    request(t.http).post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ email: 'nobody@shop.test', password: 'wrong-password' });

  it('answers 429 in the error envelope after AUTH_RATE_LIMIT_PER_MINUTE attempts from one IP', async () => {
    const ip = '203.0.113.10';
    for (let i = 0; i < 3; i++) expect((await login(ip)).status).toBe(401);

    const limited = await login(ip);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ status_code: 429, error_code: 'RATE_LIMITED', message: expect.any(String) });
    expect(limited.headers['content-type']).toMatch(/application\/json/);
  });

  it('counts signups with logins and creates nothing once limited', async () => {
    const ip = '203.0.113.20';
    for (let i = 0; i < 3; i++) await login(ip);

    const signup = await request(t.http)
      .post('/api/v1/auth/signup')
      .set('X-Forwarded-For', ip)
      .send({ vendor_name: 'Late', vendor_code: 'late-shop', email: 'owner@late.test', password: 'password-123' });
    expect(signup.status).toBe(429);
    expect(signup.body.error_code).toBe('RATE_LIMITED');
    const [{ count }] = await t.db.query(`SELECT count(*)::int AS count FROM vendors WHERE code = 'late-shop'`);
    expect(count).toBe(0);
  });

  it('limits each IP on its own', async () => {
    for (let i = 0; i < 4; i++) await login('203.0.113.30');
    expect((await login('203.0.113.30')).status).toBe(429);
    expect((await login('203.0.113.31')).status).toBe(401);
  });

  it('does not limit other routes', async () => {
    for (let i = 0; i < 5; i++) await login('203.0.113.40');
    const health = await request(t.http).get('/health/live').set('X-Forwarded-For', '203.0.113.40');
    expect(health.status).toBe(200);
  });
});
