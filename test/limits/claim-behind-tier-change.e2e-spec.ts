import pg from 'pg';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { insertTier, moveToTier, usage } from './limits.helpers.js';

/**
 * The order claim reads the vendor's tier once per statement (`tier_row`, from the statement's snapshot) and takes a
 * slot only while the row it locks still has that tier and pending tier. A claim that waited on the row lock of a
 * tier change committed meanwhile must be held to the limits as they are after it: never above the new tier's. The
 * overlap is made certain: the test's own session holds the row (its change made, not committed) until
 * pg_stat_activity shows the claim waiting on it.
 */
describe('an order claim behind a tier change', () => {
  let t: TestApp;
  let holder: pg.Client;

  beforeAll(async () => {
    t = await createTestApp();
    await insertTier(t, 'behind-big', { products: 10, orders: 5, team: 3 });
    await insertTier(t, 'behind-small', { products: 10, orders: 3, team: 3 });
  });
  beforeEach(async () => {
    holder = new pg.Client({ connectionString: t.directDatabaseUrl });
    await holder.connect();
    await holder.query(`SET idle_in_transaction_session_timeout = 0; SET lock_timeout = 0`);
  });
  afterEach(() => holder.end());
  afterAll(() => t.close());

  async function vendorWithOrders(tier: string, orders: number): Promise<SignedUpVendor> {
    const v = await signUpVendor(t);
    await moveToTier(t, v.vendorId, tier);
    for (let i = 0; i < orders; i++) expect((await api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 100 + i })).status).toBe(201);
    return v;
  }

  /** Sends an order while the holder's uncommitted `change` holds the row; commits once the order waits on it. */
  async function orderBehind(v: SignedUpVendor, change: string) {
    await holder.query('BEGIN');
    await holder.query(change, [v.vendorId]);
    const answered = api(t, v.token).post('/api/v1/vendor/orders').send({ total_cents: 999 }).then((r) => r);
    for (;;) {
      const { rows } = await holder.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`);
      if (rows.length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await holder.query('COMMIT');
    return answered;
  }

  it('is held to the pending lower tier that a downgrade reserved meanwhile', async () => {
    const v = await vendorWithOrders('behind-big', 3);
    const res = await orderBehind(v, `UPDATE vendor_subscriptions SET pending_tier_code = 'behind-small', pending_tier_expires_at = now() + interval '1 hour' WHERE vendor_id = $1`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error_code: 'TIER_LIMIT_EXCEEDED', details: { limit_type: 'orders', current: 3, limit: 3 } });
    expect(await usage(t, v.vendorId)).toMatchObject({ orders_this_period: 3, orders: 3 });
  });

  it('is held to the lower tier that a change applied meanwhile', async () => {
    const v = await vendorWithOrders('behind-big', 3);
    const res = await orderBehind(v, `UPDATE vendor_subscriptions SET tier_code = 'behind-small' WHERE vendor_id = $1`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error_code: 'TIER_LIMIT_EXCEEDED', details: { limit_type: 'orders', current: 3, limit: 3, tier_code: 'behind-small' } });
    expect(await usage(t, v.vendorId)).toMatchObject({ orders_this_period: 3, orders: 3 });
  });

  it('takes a slot on the higher tier that a change applied meanwhile, when the old one still had room', async () => {
    const v = await vendorWithOrders('behind-small', 2);
    const res = await orderBehind(v, `UPDATE vendor_subscriptions SET tier_code = 'behind-big' WHERE vendor_id = $1`);
    expect(res.status).toBe(201);
    expect(await usage(t, v.vendorId)).toMatchObject({ orders_this_period: 3, orders: 3 });
  });
});
