import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app.js';

// What the HTTP adapter (Fastify) does before a route runs, answered like everything else: in the error envelope.
describe('HTTP edges on the adapter', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers a body of an unsupported content type with 400 VALIDATION_FAILED', async () => {
    const res = await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/xml').send('<login/>');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status_code: 400, error_code: 'VALIDATION_FAILED', details: { errors: [{ field: 'body' }] } });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('reads an empty JSON body as no body: a route that needs one answers 400, not 500', async () => {
    const res = await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/json').send('');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status_code: 400, error_code: 'VALIDATION_FAILED' });
  });

  it('refuses a prototype-poisoning body with 400', async () => {
    const res = await request(t.http).post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"email":"a@b.test","password":"x","__proto__":{"admin":true}}');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status_code: 400, error_code: 'VALIDATION_FAILED' });
  });

  it('echoes a request id on errors too, and makes one up for an unusable header', async () => {
    const missing = await request(t.http).get('/no/such/route').set('X-Request-Id', 'trace-404');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status_code: 404, error_code: 'NOT_FOUND', message: 'No route for GET /no/such/route.' });
    expect(missing.headers['x-request-id']).toBe('trace-404');
    const odd = await request(t.http).get('/health/live').set('X-Request-Id', 'has spaces and ; semicolons');
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('labels request metrics by route template, and unmatched routes as one label', async () => {
    await request(t.http).get('/vendor/some-shop/billing');
    await request(t.http).get('/no/such/route/42');
    const metrics = await request(t.http).get('/metrics');
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/vendor\/:vendorCode\/billing",status="200"\} \d+/);
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} \d+/);
    expect(metrics.text).not.toContain('some-shop');
    expect(metrics.text).not.toContain('/no/such/route/42');
  });
});
