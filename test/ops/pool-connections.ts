import request from 'supertest';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';

/** Far above what 20 short admin actions take one after another, far below "never". */
const BOUND_MS = 20_000;

/** The answer, or a failure naming what did not answer in time (a frozen pool never answers). */
async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${BOUND_MS} ms`)), BOUND_MS)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Issue 21: a code path that holds a pool connection never asks the pool for another. Each admin action is fired
 * 2 × the pool size in parallel against one process: if its holder needed a second connection while the others held
 * the rest, none would ever answer. All answer, and the process still serves its probes and its vendors afterwards.
 * With a pool of one connection any such path waits for ever even alone: that run finds them for certain, the
 * default-sized one shows the crowd of the issue (20 snapshots at once).
 */
export function describePoolSweep(POOL_SIZE: number): void {
  const PARALLEL = 2 * POOL_SIZE;
  describe(`pool connections (a pool of ${POOL_SIZE}): no path holds one connection and waits for another`, () => {
    let t: TestApp;
    let admin: string;
    let vendor: SignedUpVendor;

    beforeAll(async () => {
      t = await createTestApp({ ADMIN_EMAIL: 'ops@platform.test', ADMIN_PASSWORD: 'admin-password-1', DATABASE_POOL_SIZE: String(POOL_SIZE) });
      admin = (await request(t.http).post('/api/v1/auth/login').send({ email: 'ops@platform.test', password: 'admin-password-1' })).body.access_token;
      vendor = await signUpVendor(t);
    });
    afterAll(() => t.close());

    async function fire(what: string, send: () => request.Test): Promise<number[]> {
      const answers = await within(what, Promise.all(Array.from({ length: PARALLEL }, () => send())));
      return answers.map((r) => r.status);
    }

    async function expectHealthy(): Promise<void> {
      const ready = await within('/health/ready', request(t.http).get('/health/ready'));
      expect(ready.status).toBe(200);
      const products = await within('GET /products', api(t, vendor.token).get('/api/v1/vendor/products'));
      expect(products.status).toBe(200);
    }

    it(`answers ${PARALLEL} parallel capacity snapshots (the pool holds ${POOL_SIZE}), each a succeeded run`, async () => {
      const statuses = await fire('POST /platform-health/snapshot', () => api(t, admin).post('/api/v1/admin/platform-health/snapshot'));
      expect(statuses).toEqual(Array(PARALLEL).fill(201));
      const [runs] = await t.db.query(`SELECT count(*)::int AS n FROM job_runs WHERE name = 'capture-capacity-snapshot' AND status = 'succeeded'`);
      expect(runs.n).toBe(PARALLEL);
      const [snapshots] = await t.db.query(`SELECT count(*)::int AS n FROM capacity_snapshots`);
      expect(snapshots.n).toBe(1); // one row per UTC day
      await expectHealthy();
    });

    it('answers every admin action fired 2 × the pool size in parallel, and stays healthy', async () => {
      const id = vendor.vendorId;
      const [event] = await t.db.query(`INSERT INTO platform_events (type, vendor_id, data) VALUES ('vendor.sweep', $1, '{}') RETURNING public_id AS id`, [id]);
      await t.db.query(
        `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, payload, received_at)
         VALUES ('evt_sweep', 'customer.created', 'failed', 1, $1, now())`,
        [JSON.stringify({ id: 'evt_sweep', object: 'event', type: 'customer.created', created: 1_700_000_000, livemode: false, data: { object: { id: 'cus_sweep', object: 'customer' } } })],
      );
      const actions: [string, () => request.Test, number[]][] = [
        ['extend-trial', () => api(t, admin).post(`/api/v1/admin/vendors/${id}/extend-trial`).send({ days: 1 }), [200]],
        ['assign-tier', () => api(t, admin).post(`/api/v1/admin/vendors/${id}/assign-tier`).send({ tier_code: 'professional' }), [200, 409]],
        ['deactivate', () => api(t, admin).post(`/api/v1/admin/vendors/${id}/deactivate`), [200]],
        ['activate', () => api(t, admin).post(`/api/v1/admin/vendors/${id}/activate`), [200]],
        ['redeliver', () => api(t, admin).post(`/api/v1/admin/platform-events/${event.id}/redeliver`), [200]],
        ['replay', () => api(t, admin).post('/api/v1/admin/webhook-events/evt_sweep/replay'), [200, 409]],
        ['create tier', () => api(t, admin).post('/api/v1/admin/subscription-tiers').send({ code: 'sweep', name: 'Sweep', products_limit: 1, orders_per_month: 1, team_members: 1 }), [201, 409]],
        ['patch tier', () => api(t, admin).patch('/api/v1/admin/subscription-tiers/sweep').send({ name: 'Sweep 2' }), [200]],
        ['snapshot', () => api(t, admin).post('/api/v1/admin/platform-health/snapshot'), [201]],
      ];
      for (const [what, send, expected] of actions) {
        const statuses = await fire(what, send);
        expect({ what, unexpected: statuses.filter((s) => !expected.includes(s)) }).toEqual({ what, unexpected: [] });
      }
      await expectHealthy();
    });
  });
}
