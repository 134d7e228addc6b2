import { validateEnvironment } from '@app/common';
import { signUpVendor } from '../factories/vendor.factory.js';
import { pgbouncerShow } from '../support/database.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

// What makes the `pgbouncer` jest project's second pass of the core suites mean something: an app created with
// `pgbouncer: true` really talks to PostgreSQL through PgBouncer in transaction mode, never silently direct.
describe('the API behind PgBouncer in transaction mode', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({}, { pgbouncer: true });
  });
  afterAll(() => t.close());

  it('runs its statements on the server connections PgBouncer pools per transaction', async () => {
    const database = new URL(t.databaseUrl).pathname.slice(1);
    expect(t.databaseUrl).not.toBe(t.directDatabaseUrl);
    expect(process.env.DATABASE_DIRECT_URL).toBe(t.directDatabaseUrl);

    const [{ pid }] = await t.db.query('SELECT pg_backend_pid() AS pid');
    const servers = await pgbouncerShow<{ database: string; remote_pid: string }>('SERVERS');
    expect(servers.filter((s) => s.database === database).map((s) => Number(s.remote_pid))).toContain(pid);
    const pools = await pgbouncerShow<{ database: string; pool_mode: string }>('POOLS');
    expect(pools.find((p) => p.database === database)?.pool_mode).toBe('transaction');
  });

  it('serves a vendor through it: signup, login, a product, the subscription', async () => {
    const v = await signUpVendor(t);
    const created = await api(t, v.token).post('/api/v1/vendor/products').send({ name: 'Pooled', price_cents: 100 });
    expect(created.status).toBe(201);
    const sub = await api(t, v.token).get('/api/v1/vendor/billing/subscription');
    expect(sub.status).toBe(200);
    expect(sub.body.usage.products).toMatchObject({ current: 1, limit: 200 });
  });
});

describe('DATABASE_DIRECT_URL', () => {
  const base = { JWT_SECRET: 'x'.repeat(40) };
  const pooler = 'postgres://app:pw@pooler:6432/billing';

  it('is a postgres:// URL beside DATABASE_URL; a bad one stops start-up naming it, never printing it', () => {
    expect(validateEnvironment({ ...base, DATABASE_URL: pooler, DATABASE_DIRECT_URL: 'postgres://app:pw@db:5432/billing' }).DATABASE_DIRECT_URL).toBe('postgres://app:pw@db:5432/billing');
    expect(validateEnvironment({ ...base, DATABASE_URL: pooler, DATABASE_DIRECT_URL: '' }).DATABASE_DIRECT_URL).toBeUndefined();
    expect(() => validateEnvironment({ ...base, DATABASE_URL: pooler, DATABASE_DIRECT_URL: 'mysql://db/billing' })).toThrow(/^\s*DATABASE_DIRECT_URL: .*postgres:\/\//m);
    let message = '';
    try {
      validateEnvironment({ ...base, DATABASE_DIRECT_URL: 'postgres://app:secret-pw-31@db:5432/billing' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^\s*DATABASE_DIRECT_URL: .*without DATABASE_URL/m);
    expect(message).not.toContain('secret-pw-31');
  });
});
