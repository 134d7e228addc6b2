import pg from 'pg';
import { allowPlanReuse, dataSourceOptions, queryRows, reusesPlans } from '@app/database';
import { DataSource } from 'typeorm';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

// CONTRACT §5 "Deploys": a migration that widens a column or changes its type compatibly does not make running API
// processes answer 5xx. On a direct connection the hot statements are named prepared statements, whose plan a
// widening ALTER makes stale (SQLSTATE 0A000, "cached plan must not change result type"): they are prepared again
// and run once more. This file's database is its own copy, so the ALTERs touch nothing else.
describe('a type-widening ALTER under load', () => {
  let t: TestApp;
  let v: SignedUpVendor;

  beforeAll(async () => {
    t = await createTestApp({}, { pgbouncer: false });
    v = await signUpVendor(t);
    // Unlimited orders and products: the load never meets a limit.
    await t.db.query(`UPDATE vendor_subscriptions SET tier_code = 'enterprise' WHERE vendor_id = $1`, [v.vendorId]);
  });
  afterAll(() => t.close());

  /** One round of the vendor's traffic: create and list orders and products, concurrently. Answers the statuses. */
  const round = async (i: number): Promise<{ status: number; path: string; body: unknown }[]> => {
    const paths = ['POST orders', 'GET orders', 'POST products', 'GET products'];
    const answers = await Promise.all([
      api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 1000 + i }),
      api(t, v.token).get('/api/v1/vendor/orders?limit=5'),
      api(t, v.token).post('/api/v1/vendor/products').send({ name: `Product ${i}`, price_cents: 100 + i }),
      api(t, v.token).get('/api/v1/vendor/products?limit=5'),
    ]);
    return answers.map((r, k) => ({ status: r.status, path: paths[k], body: r.body }));
  };

  it('answers every request (no 5xx) while the ALTERs run and after, and total_cents stays a number', async () => {
    expect(reusesPlans(t.db)).toBe(true);
    // Warm the pool: several connections hold the named statements of order and product creation.
    for (let i = 0; i < 5; i++) await Promise.all([round(i), round(100 + i)]);

    const failures: { status: number; path: string; body: unknown }[] = [];
    let stop = false;
    let rounds = 0;
    const load = (async () => {
      for (let i = 1000; !stop; i++) {
        for (const r of await round(i)) if (r.status >= 500) failures.push(r);
        rounds++;
      }
    })();

    // The migration, through a connection of its own while the traffic runs.
    const migration = new pg.Client({ connectionString: t.directDatabaseUrl });
    await migration.connect();
    try {
      const before = rounds;
      while (rounds < before + 2) await new Promise((resolve) => setTimeout(resolve, 5));
      await migration.query(`ALTER TABLE orders ALTER COLUMN total_cents TYPE bigint`);
      const afterOrders = rounds;
      while (rounds < afterOrders + 5) await new Promise((resolve) => setTimeout(resolve, 5));
      await migration.query(`ALTER TABLE products ALTER COLUMN name TYPE varchar(400)`);
      const afterProducts = rounds;
      while (rounds < afterProducts + 5) await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      stop = true;
      await load;
      await migration.end();
    }
    // After the load: every pooled connection that prepared before the ALTERs is used again, one after another.
    for (let i = 0; i < 12; i++) for (const r of await round(5000 + i)) if (r.status >= 500) failures.push(r);

    expect(failures).toEqual([]);
    const created = await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 4321 });
    expect(created.status).toBe(201);
    expect(created.body.total_cents).toBe(4321);
    const listed = await api(t, v.token).get('/api/v1/vendor/orders?limit=3');
    expect(listed.status).toBe(200);
    for (const order of listed.body.items) expect(typeof order.total_cents).toBe('number');
    expect(listed.body.items[0]).toMatchObject({ total_cents: 4321 });
    const [{ data_type }] = await t.db.query(`SELECT data_type FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'total_cents'`);
    expect(data_type).toBe('bigint');
  });

  it('prepares a stale statement again and runs it once more, on the connection that holds it', async () => {
    const ds = await new DataSource(dataSourceOptions(t.directDatabaseUrl, { extra: { max: 1 } })).initialize();
    try {
      allowPlanReuse(ds);
      await ds.query(`CREATE TABLE widened (n int NOT NULL)`);
      await ds.query(`INSERT INTO widened VALUES (7)`);
      const sql = 'SELECT n FROM widened WHERE n = $1';
      expect(await queryRows(ds.manager, sql, [7], { reusePlan: true })).toEqual([{ n: 7 }]);
      await ds.query(`ALTER TABLE widened ALTER COLUMN n TYPE bigint`);

      expect(await queryRows(ds.manager, sql, [7], { reusePlan: true })).toEqual([{ n: '7' }]);
      expect(reusesPlans(ds)).toBe(true);
      const names = await ds.query<{ name: string }[]>(`SELECT name FROM pg_prepared_statements WHERE statement = $1 ORDER BY prepare_time`, [sql]);
      expect(names.map((r) => r.name)).toEqual([expect.stringMatching(/^vb_[0-9a-f]{24}(_g\d+)?$/), expect.stringMatching(/^vb_[0-9a-f]{24}_g\d+$/)]);
    } finally {
      await ds.destroy();
    }
  });
});
