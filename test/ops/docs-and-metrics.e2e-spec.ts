import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('OpenAPI and metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves the OpenAPI UI at /api/docs without a token', async () => {
    const res = await request(t.http).get('/api/docs').redirects(1);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toMatch(/swagger-ui/i);
  });

  it('lists the auth routes in the OpenAPI document at /api/docs-json', async () => {
    const res = await request(t.http).get('/api/docs-json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/signup', '/api/v1/auth/login']));
    expect(res.body.paths['/api/v1/auth/login'].post).toBeDefined();
    expect(res.body.components.securitySchemes).toHaveProperty('bearer');
    // The page and the probes' plumbing are not API.
    expect(Object.keys(res.body.paths).some((p) => p.startsWith('/vendor/') || p.startsWith('/assets/') || p === '/metrics')).toBe(false);
  });

  it('answers /metrics in the Prometheus text format without a token', async () => {
    await request(t.http).get('/health/live');
    const res = await request(t.http).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    // Every non-empty line is a comment (# HELP / # TYPE) or a sample `name{labels} value`.
    for (const line of res.text.split('\n').filter(Boolean)) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|[a-zA-Z_:][\w:]*(\{.*\})? -?[\d.e+-]+|[a-zA-Z_:][\w:]*(\{.*\})? (NaN|[+-]Inf))$/);
  });
});
