import request from 'supertest';
import { EnvironmentError, validateEnvironment } from '@app/common';
import { testTempDir } from '../support/temp-dir.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// METRICS_TOKEN set: /metrics answers only its bearer (the environment is read once per test file, so this
// configuration has its own file; docs-and-metrics.e2e-spec.ts covers the open default). And `GET /`.

const TOKEN = 'metrics-token-0123456789abcdef';

describe('METRICS_TOKEN and GET /', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN: TOKEN });
  });
  afterAll(() => t.close());

  it('refuses /metrics without the token, or with another one, in the error envelope', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`]) {
      const req = request(t.http).get('/metrics');
      const res = await (authorization ? req.set('Authorization', authorization) : req);
      expect({ authorization, status: res.status, body: res.body }).toEqual({ authorization, status: 401, body: expect.objectContaining({ status_code: 401, error_code: 'UNAUTHORIZED' }) });
      expect(res.text).not.toContain('process_cpu');
    }
  });

  it('answers /metrics in the Prometheus text format to its bearer', async () => {
    const res = await request(t.http).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
  });

  it('is validated at start-up: a short token stops the process with a message naming it', () => {
    const attempt = () => validateEnvironment({ METRICS_TOKEN: 'short', DATA_DIR: testTempDir('vb-metrics-'), JWT_SECRET: 'x'.repeat(40) });
    expect(attempt).toThrow(EnvironmentError);
    expect(attempt).toThrow(/^\s*METRICS_TOKEN: /m);
  });

  it('answers GET / with where the docs, pages, probes and metrics are, without a token', async () => {
    const res = await request(t.http).get('/');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ docs: '/api/docs', pages: { vendor_billing: '/vendor/{vendor_code}/billing', admin: '/admin' }, health: { ready: '/health/ready' }, metrics: '/metrics' });
    // The docs it points at are there.
    expect((await request(t.http).get(res.body.openapi)).status).toBe(200);
  });
});
