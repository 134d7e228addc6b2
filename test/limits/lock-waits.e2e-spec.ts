import pg from 'pg';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { setRoleWaitDefaults } from '../support/database.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

const LOCK_TIMEOUT_MS = 1500;
const IDLE_TIMEOUT_MS = 1000;

/**
 * Issue 21: no request waits without bound. A request whose statement waits for a row lock longer than
 * DATABASE_LOCK_TIMEOUT_MS answers 503 SERVICE_UNAVAILABLE with nothing changed, and the lock's holder goes on as if
 * nothing happened; a cancelled statement (57014) answers the same; a transaction left idle is ended by the server.
 * In both jest projects: directly (startup parameters) and through PgBouncer in transaction mode (SET LOCAL in each
 * transaction; a single statement outside one gets the role's defaults, set as README "Configuration" tells operators).
 */

describe('bounded waits: a request behind a lock answers 503 and changes nothing', () => {
  let t: TestApp;
  let vendor: SignedUpVendor;
  let holder: pg.Client;

  beforeAll(async () => {
    t = await createTestApp({
      DATABASE_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS),
      DATABASE_STATEMENT_TIMEOUT_MS: '30000',
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
    });
    if (t.pgbouncer) await setRoleWaitDefaults(t.directDatabaseUrl, { lockTimeoutMs: LOCK_TIMEOUT_MS, idleInTransactionTimeoutMs: IDLE_TIMEOUT_MS });
    vendor = await signUpVendor(t);
  });
  beforeEach(async () => {
    holder = new pg.Client({ connectionString: t.directDatabaseUrl });
    await holder.connect();
    // The test's own session holds its locks as long as it likes (the role's defaults apply to it too).
    await holder.query(`SET idle_in_transaction_session_timeout = 0; SET lock_timeout = 0`);
  });
  afterEach(() => holder.end());
  afterAll(() => t.close());

  const usage = async () => {
    const [row] = await t.db.query(
      `SELECT products_count, (SELECT count(*)::int FROM products WHERE vendor_id = $1) AS products FROM vendor_subscriptions WHERE vendor_id = $1`,
      [vendor.vendorId],
    );
    return row as { products_count: number; products: number };
  };

  /** The holder locks the vendor's subscription row, as a long transaction of another request would. */
  async function holdSubscriptionRow(): Promise<void> {
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM vendor_subscriptions WHERE vendor_id = $1 FOR UPDATE', [vendor.vendorId]);
  }

  /** The backend pid of the app's statement waiting for a lock, once PostgreSQL shows it waiting. */
  async function waitingPid(): Promise<number> {
    for (;;) {
      const { rows } = await holder.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      if (rows[0]) return rows[0].pid;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('answers 503 once the lock wait passes; nothing changed, the holder commits its own change', async () => {
    const before = await usage();
    await holdSubscriptionRow();
    const started = performance.now();
    const res = await api(t, vendor.token).post('/api/v1/vendor/products').send({ name: 'Behind a lock', price_cents: 100 });
    const waited = performance.now() - started;

    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status_code: 503, error_code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('nothing was changed') });
    expect(waited).toBeGreaterThanOrEqual(LOCK_TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(LOCK_TIMEOUT_MS + 10_000);
    // The holder's transaction is unharmed: its own change commits.
    await holder.query('UPDATE vendor_subscriptions SET orders_this_period = orders_this_period + 1 WHERE vendor_id = $1', [vendor.vendorId]);
    await holder.query('COMMIT');
    expect(await usage()).toEqual(before);

    const after = await api(t, vendor.token).post('/api/v1/vendor/products').send({ name: 'Free again', price_cents: 100 });
    expect(after.status).toBe(201);
    expect(await usage()).toEqual({ products_count: before.products_count + 1, products: before.products + 1 });
  });

  it('answers 503 for a statement cancelled while it waits (57014), nothing changed', async () => {
    const before = await usage();
    await holdSubscriptionRow();
    const pending = api(t, vendor.token).post('/api/v1/vendor/products').send({ name: 'Cancelled', price_cents: 100 });
    const answered = pending.then((r) => r); // supertest sends on then()
    await holder.query('SELECT pg_cancel_backend($1)', [await waitingPid()]);
    const res = await answered;
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status_code: 503, error_code: 'SERVICE_UNAVAILABLE' });
    await holder.query('ROLLBACK');
    expect(await usage()).toEqual(before);
  });

  it("ends a transaction of the app's pool left idle, freeing its locks", async () => {
    const runner = t.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query('SELECT 1 FROM vendor_subscriptions WHERE vendor_id = $1 FOR UPDATE', [vendor.vendorId]);
      // Left idle: the server ends that session after DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS, and the lock with it.
      await holder.query(`SET lock_timeout = '${IDLE_TIMEOUT_MS + 10_000}'`);
      const started = performance.now();
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM vendor_subscriptions WHERE vendor_id = $1 FOR UPDATE', [vendor.vendorId]);
      expect(performance.now() - started).toBeLessThan(IDLE_TIMEOUT_MS + 10_000);
      await holder.query('ROLLBACK');
      await expect(runner.commitTransaction()).rejects.toThrow();
    } finally {
      await runner.release();
    }
    // The pool drops the ended connection; the next request works.
    const res = await api(t, vendor.token).get('/api/v1/vendor/products');
    expect(res.status).toBe(200);
  });
});
