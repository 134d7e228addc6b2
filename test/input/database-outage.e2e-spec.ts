import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions, freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '@app/database';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

// The shared test PostgreSQL serves every test file at once, so this file stops and restarts a PostgreSQL of
// its own: a real server going away and coming back, with the API left running throughout.

describe('the database going away and coming back', () => {
  let dataDir: string;
  let port: number;
  let database: EmbeddedDatabase;
  let t: TestApp;

  const restart = async () => (database = await startEmbeddedPostgres({ dataDir, port, database: 'outage', persistent: true }));

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vb-outage-pg-'));
    port = await freePort();
    await restart();
    const migrator = new DataSource(dataSourceOptions(database.url));
    await migrator.initialize();
    await migrator.runMigrations();
    await migrator.destroy();
    t = await createTestApp({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: '4' });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await database?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 SERVICE_UNAVAILABLE in the envelope while it is down, changes nothing, and recovers without a restart', async () => {
    const signup = await api(t).post('/api/v1/auth/signup').send({ vendor_name: 'Outage', vendor_code: 'outage-shop', email: 'owner@outage.test', password: 'password-123' });
    expect(signup.status).toBe(201);
    const token: string = signup.body.access_token;
    expect((await api(t, token).post('/api/v1/vendor/products').send({ name: 'Before', price_cents: 100 })).status).toBe(201);

    await database.stop();

    const down: Array<[string, { status: number; body: unknown }]> = [
      ['GET products', await api(t, token).get('/api/v1/vendor/products')],
      ['POST products', await api(t, token).post('/api/v1/vendor/products').send({ name: 'During', price_cents: 100 })],
      ['POST orders', await api(t, token).post('/api/v1/vendor/orders').send({ total_cents: 100 })],
      ['login', await api(t).post('/api/v1/auth/login').send({ email: 'owner@outage.test', password: 'password-123' })],
      ['signup', await api(t).post('/api/v1/auth/signup').send({ vendor_name: 'Late', vendor_code: 'late-shop', email: 'late@outage.test', password: 'password-123' })],
    ];
    for (const [what, res] of down) {
      expect({ what, status: res.status, body: res.body }).toEqual({
        what, status: 503, body: { status_code: 503, error_code: 'SERVICE_UNAVAILABLE', message: expect.any(String) },
      });
    }

    await restart();
    // The pool finds its old connections dead and opens new ones: within a few requests, answers are normal again.
    let back = await api(t, token).get('/api/v1/vendor/products');
    for (let attempt = 0; back.status !== 200 && attempt < 20; attempt++) {
      expect(back.status).toBe(503);
      await new Promise((r) => setTimeout(r, 100));
      back = await api(t, token).get('/api/v1/vendor/products');
    }
    expect(back.status).toBe(200);
    expect(back.body.items.map((p: { name: string }) => p.name)).toEqual(['Before']);
    const counts = await t.db.query(`SELECT (SELECT count(*)::int FROM vendors) AS vendors, (SELECT count(*)::int FROM orders) AS orders`);
    expect(counts).toEqual([{ vendors: 1, orders: 0 }]);
    expect((await api(t).post('/api/v1/auth/login').send({ email: 'owner@outage.test', password: 'password-123' })).status).toBe(200);
  }, 60_000);
});
