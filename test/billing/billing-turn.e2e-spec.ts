import type { QueryRunner } from 'typeorm';
import { EnvironmentError, validateEnvironment } from '@app/common';
import { testTempDir } from '../support/temp-dir.js';
import { stripeEnv } from '../stripe-double/stripe-double.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { BILLING, sentSince, subscribedVendor, subscriptionRow, syncCatalog, type TierPriceIds } from './billing-fixtures.js';

/**
 * The vendor's turn (CONTRACT §5): the next billing operation starts only after the one before it wrote Stripe's
 * answer locally, however long Stripe takes, and on whichever API process it arrives. Two Nest apps on one database
 * stand for two API processes. Overlaps are made certain: the double holds an answer back, and the test holds the
 * vendor's row in a transaction of its own until pg_stat_activity shows the operation's local write waiting on it.
 * The lease, its renewal and the SDK's timeout are shortened through the environment, so a slow Stripe outlives
 * the lease many times over.
 */
const ENV = {
  STRIPE_TIMEOUT_MS: '800', STRIPE_MAX_NETWORK_RETRIES: '2', BILLING_TURN_LEASE_MS: '1500', BILLING_TURN_RENEW_MS: '250',
  // The test holds the vendor's row for a few seconds: the local write waiting on it must not reach the API's lock limit.
  DATABASE_LOCK_TIMEOUT_MS: '20000', DATABASE_STATEMENT_TIMEOUT_MS: '30000',
};
const LEASE_MS = 1500;

describe('billing: one operation at a time per vendor, across processes', () => {
  const { t, double } = useStripeTestApp(ENV);
  let other: TestApp;
  let prices: TierPriceIds;

  beforeAll(async () => {
    prices = await syncCatalog(t);
    other = await createTestApp({ ...stripeEnv(double), ...ENV, DATABASE_URL: t.databaseUrl });
  });
  afterAll(async () => {
    await other?.close();
  });

  /** Starts a request now (supertest sends on `then`) and answers its response later. */
  const start = <T>(request: PromiseLike<T>): Promise<T> => Promise.resolve(request);

  async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Holds the vendor's row (as a write would) in a transaction of the test's own. */
  async function holdRow(vendorId: number): Promise<QueryRunner> {
    const holder = t.db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query(`SELECT 1 FROM vendor_subscriptions WHERE vendor_id = $1 FOR UPDATE`, [vendorId]);
    return holder;
  }

  async function release(holder: QueryRunner): Promise<void> {
    await holder.commitTransaction();
    await holder.release();
  }

  /** A statement of the app waits on a lock of vendor_subscriptions (the operation's local write). */
  async function rowWaiter(): Promise<boolean> {
    const [{ waiting }] = await t.db.query(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%vendor_subscriptions%'`,
    );
    return waiting > 0;
  }

  const operations = async (vendorId: number) =>
    (await t.db.query(`SELECT id, kind, status, idempotency_key, started_at, completed_at FROM billing_operations WHERE vendor_id = $1 ORDER BY id`, [vendorId])) as Array<{
      id: string; kind: string; status: string; idempotency_key: string; started_at: Date | null; completed_at: Date | null;
    }>;

  it('a reactivate on another process waits for the cancel Stripe is still answering, and undoes it', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    const path = `/v1/subscriptions/${v.subscriptionId}`;
    double.delayNext({ method: 'POST', path, ms: 600, hold: 'answer' });
    const from = double.requests.length;

    const cancel = start(api(t, v.token).post(`${BILLING}/cancel`).send({}));
    await until('the cancel at Stripe', () => sentSince(double, from, 'POST', path).length === 1);
    const reactivate = start(api(other, v.token).post(`${BILLING}/reactivate`).send({}));
    const [cancelled, reactivated] = await Promise.all([cancel, reactivate]);

    expect(cancelled.status).toBe(200);
    expect(reactivated.status).toBe(200);
    expect(sentSince(double, from, 'POST', path).filter((r) => !r.replayed).map((r) => r.params.cancel_at_period_end)).toEqual(['true', 'false']);
    expect(double.state.subscriptions.get(v.subscriptionId)!.cancel_at_period_end).toBe(false);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ cancel_at_period_end: false, cancelled_at: null });
  });

  it('holds the turn while the cancel\'s local write waits on the vendor\'s row, past the lease', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    const path = `/v1/subscriptions/${v.subscriptionId}`;
    double.delayNext({ method: 'POST', path, ms: 300, hold: 'answer' });
    const from = double.requests.length;

    const cancel = start(api(t, v.token).post(`${BILLING}/cancel`).send({}));
    await until('the cancel at Stripe', () => sentSince(double, from, 'POST', path).length === 1);
    const holder = await holdRow(v.vendorId);
    let reactivate: Promise<{ status: number; body: { error_code?: string } }>;
    try {
      reactivate = start(api(other, v.token).post(`${BILLING}/reactivate`).send({}));
      await until('the cancel\'s local write to wait on the row', rowWaiter);
      await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
      // The reactivate has not started: the cancel still holds the turn, its lease renewed while it waits.
      expect((await operations(v.vendorId)).filter((o) => o.kind === 'reactivate').map((o) => o.status)).toEqual(['queued']);
    } finally {
      await release(holder);
    }
    const [cancelled, reactivated] = await Promise.all([cancel, reactivate!]);

    expect(cancelled.status).toBe(200);
    expect(reactivated.status).toBe(200);
    expect(double.state.subscriptions.get(v.subscriptionId)!.cancel_at_period_end).toBe(false);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ cancel_at_period_end: false, cancelled_at: null });
  });

  it('a process that died after Stripe answered frees the turn when its lease runs out; the next /sync settles its operation', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    // What a dead process leaves: Stripe answered, the local write never came, and nobody renews the lease.
    const [dead] = await t.db.query(
      `INSERT INTO billing_operations (vendor_id, kind, request_hash, status, response, started_at, lease_expires_at)
       VALUES ($1, 'cancel', 'dead', 'stripe_succeeded', '{}'::jsonb, now(), now() + make_interval(secs => $2)) RETURNING id, lease_expires_at`,
      [v.vendorId, (2 * LEASE_MS) / 1000],
    );
    const from = double.requests.length;

    const change = await api(other, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'business', is_annual: false });

    expect(change.status).toBe(200);
    const [next] = (await operations(v.vendorId)).filter((o) => o.kind === 'change_tier');
    expect(next.started_at!.getTime()).toBeGreaterThanOrEqual(dead.lease_expires_at.getTime());
    expect(sentSince(double, from, 'POST', `/v1/subscriptions/${v.subscriptionId}`)).toHaveLength(1);
    expect((await operations(v.vendorId)).find((o) => o.id === dead.id)!.status).toBe('stripe_succeeded');

    expect((await api(t, v.token).post(`${BILLING}/sync`).send({})).status).toBe(200);
    expect((await operations(v.vendorId)).find((o) => o.id === dead.id)!.status).toBe('succeeded');
  });

  it('a change whose Stripe calls time out past the lease keeps the turn until its answer is written; the next one starts after', async () => {
    const v = await subscribedVendor(t, double, 'professional');
    const path = `/v1/subscriptions/${v.subscriptionId}`;
    // Each of the first change's two calls outlasts the SDK's timeout once (the SDK retries it): the read hangs,
    // the update is carried out but its answer is held back (the retry gets it replayed).
    double.delayNext({ method: 'GET', path, ms: 2500, hold: 'before' });
    double.delayNext({ method: 'POST', path, ms: 2500, hold: 'answer' });
    const from = double.requests.length;

    const first = start(api(t, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'business', is_annual: false }));
    await until('the first change\'s read at Stripe', () => sentSince(double, from, 'GET', path).length >= 1);
    const second = start(api(other, v.token).post(`${BILLING}/change-tier`).send({ tier_code: 'essential', is_annual: false }));
    await until('the first change\'s update at Stripe', () => sentSince(double, from, 'POST', path).length >= 1);
    const holder = await holdRow(v.vendorId);
    try {
      await until('the first change\'s local write to wait on the row', rowWaiter);
      await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
      const ops = (await operations(v.vendorId)).filter((o) => o.kind === 'change_tier');
      expect(ops.map((o) => o.status)).toEqual(['stripe_succeeded', 'queued']);
      // Everything Stripe got so far is the first change's (its retries carry its key).
      expect(new Set(sentSince(double, from, 'POST', path).map((r) => r.idempotencyKey))).toEqual(new Set([ops[0].idempotency_key]));
    } finally {
      await release(holder);
    }
    const [a, b] = await Promise.all([first, second]);

    expect(a.status).toBe(200);
    expect(a.body.new_tier).toBe('business');
    expect(b.status).toBe(200);
    expect(b.body.new_tier).toBe('essential');
    const [one, two] = (await operations(v.vendorId)).filter((o) => o.kind === 'change_tier');
    expect([one.status, two.status]).toEqual(['succeeded', 'succeeded']);
    // Both of the first change's calls timed out once and were retried: its Stripe part alone outlasted the lease.
    const firstUpdate = double.requests.findIndex((r, i) => i >= from && r.method === 'POST' && r.path === path);
    expect(double.requests.slice(from, firstUpdate).filter((r) => r.method === 'GET' && r.path === path)).toHaveLength(2);
    expect(sentSince(double, from, 'POST', path).filter((r) => r.idempotencyKey === one.idempotency_key)).toHaveLength(2);
    expect(two.started_at!.getTime()).toBeGreaterThanOrEqual(one.completed_at!.getTime());
    const updates = sentSince(double, from, 'POST', path).filter((r) => !r.replayed);
    expect(updates.map((r) => (r.params.items as Array<{ price: string }>)[0].price)).toEqual([prices.business.month, prices.essential.month]);
    const atStripe = double.state.subscriptions.get(v.subscriptionId)!;
    expect(atStripe.items.data[0].price.id).toBe(prices.essential.month);
    expect(await subscriptionRow(t, v.vendorId)).toMatchObject({ tier_code: 'essential', stripe_price_id: prices.essential.month, pending_tier_code: null });
  });

  it('validates the lease, its renewal and the SDK\'s retries at start-up', () => {
    const env = (vars: Record<string, string>) => validateEnvironment({ DATA_DIR: testTempDir('vb-turn-'), JWT_SECRET: 'x'.repeat(40), ...vars });
    expect(env({})).toMatchObject({ BILLING_TURN_LEASE_MS: 15_000, STRIPE_MAX_NETWORK_RETRIES: 2 });
    expect(env({ BILLING_TURN_LEASE_MS: '3000', BILLING_TURN_RENEW_MS: '1000' })).toMatchObject({ BILLING_TURN_LEASE_MS: 3000, BILLING_TURN_RENEW_MS: 1000 });
    expect(() => env({ BILLING_TURN_LEASE_MS: '3000', BILLING_TURN_RENEW_MS: '2000' })).toThrow(/^\s*BILLING_TURN_RENEW_MS: .*a third of BILLING_TURN_LEASE_MS/m);
    expect(() => env({ BILLING_TURN_LEASE_MS: '10' })).toThrow(EnvironmentError);
    expect(() => env({ STRIPE_MAX_NETWORK_RETRIES: '9' })).toThrow(/^\s*STRIPE_MAX_NETWORK_RETRIES: /m);
  });
});
