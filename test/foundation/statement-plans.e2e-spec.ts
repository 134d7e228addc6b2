import { allowPlanReuse, dataSourceOptions, queryRows, reusesPlans } from '@app/database';
import { DataSource } from 'typeorm';
import { createTestApp, type TestApp } from '../support/test-app.js';

// The hot webhook statements run as named prepared statements on a direct connection (PostgreSQL plans them once
// per connection), never behind a transaction-mode pooler, and never lose an answer when a name is lost anyway.
describe('statements that reuse their plan', () => {
  let t: TestApp;
  const opened: DataSource[] = [];

  beforeAll(async () => {
    t = await createTestApp({}, { pgbouncer: true });
  });
  afterAll(async () => {
    for (const ds of opened) await ds.destroy();
    await t.close();
  });

  const open = async (url: string, max: number) => {
    const ds = await new DataSource(dataSourceOptions(url, { extra: { max } })).initialize();
    opened.push(ds);
    return ds;
  };
  const prepared = (ds: DataSource) => ds.query<{ name: string; statement: string }[]>(`SELECT name, statement FROM pg_prepared_statements`);

  it('are named prepared statements on a direct connection, prepared once per connection, never inside a transaction', async () => {
    const ds = await open(t.directDatabaseUrl, 1);
    allowPlanReuse(ds);
    const sql = 'SELECT $1::int + 1 AS n';

    expect(await queryRows(ds.manager, sql, [1], { reusePlan: true })).toEqual([{ n: 2 }]);
    expect(await queryRows(ds.manager, sql, [41], { reusePlan: true })).toEqual([{ n: 42 }]);
    expect(await prepared(ds)).toEqual([{ name: expect.stringMatching(/^vb_[0-9a-f]{24}$/), statement: sql }]);

    await ds.transaction((manager) => queryRows(manager, 'SELECT $1::int AS inside', [1], { reusePlan: true }));
    expect(await prepared(ds)).toHaveLength(1);
  });

  it('are plain statements without allowPlanReuse (DATABASE_DIRECT_URL set: DATABASE_URL is a pooler)', async () => {
    const ds = await open(t.directDatabaseUrl, 1);
    expect(await queryRows(ds.manager, 'SELECT $1::int + 2 AS n', [1], { reusePlan: true })).toEqual([{ n: 3 }]);
    expect(await prepared(ds)).toEqual([]);
  });

  it('answer the same, unnamed from then on, when the server has lost a name (what a pooler does)', async () => {
    const ds = await open(t.directDatabaseUrl, 1);
    allowPlanReuse(ds);
    const sql = 'SELECT $1::int * 2 AS n';
    expect(await queryRows(ds.manager, sql, [1], { reusePlan: true })).toEqual([{ n: 2 }]);
    // The server forgets it; the client still thinks it is prepared and sends only Bind and Execute.
    await ds.query('DEALLOCATE ALL');

    expect(await queryRows(ds.manager, sql, [21], { reusePlan: true })).toEqual([{ n: 42 }]);
    expect(reusesPlans(ds)).toBe(false);
    expect(await queryRows(ds.manager, 'SELECT $1::int * 3 AS n', [2], { reusePlan: true })).toEqual([{ n: 6 }]);
    expect(await prepared(ds)).toEqual([]);
  });

  it('are off in an app whose DATABASE_URL is PgBouncer (DATABASE_DIRECT_URL beside it)', () => {
    expect(reusesPlans(t.db)).toBe(false);
  });

  it('keep every answer right through PgBouncer in transaction mode even when nobody said it was a pooler', async () => {
    const ds = await open(t.databaseUrl, 4);
    allowPlanReuse(ds);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => queryRows<{ n: number }>(ds.manager, 'SELECT $1::int - 1 AS n', [i + 1], { reusePlan: true })));
    expect(answers.map(([row]) => row.n)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
