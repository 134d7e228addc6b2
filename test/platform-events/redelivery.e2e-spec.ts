import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { api, createTestApp, type TestApp } from '../support/test-app.js';
import { startWorkerContext, type WorkerContext } from '../worker/worker-context.js';
import { RECEIVER_SECRET, TestReceiver } from './receiver.js';

/**
 * CONTRACT §9 `POST /api/v1/admin/platform-events/redeliver`: the receiver was down past the 3-day retry window,
 * so its events were given up on (`failed`); an admin sends every one since the outage began again, in one call.
 */
describe('platform events: bulk redelivery after an outage of the receiver', () => {
  let t: TestApp;
  let w: WorkerContext;
  let receiver: TestReceiver;
  let admin: string;

  beforeAll(async () => {
    receiver = new TestReceiver();
    const url = await receiver.start();
    t = await createTestApp({ ...ADMIN_ENV, PLATFORM_WEBHOOK_URL: url, PLATFORM_WEBHOOK_SECRET: RECEIVER_SECRET, PLATFORM_WEBHOOK_TIMEOUT_MS: '2000', PLATFORM_EVENTS_POLL_MS: '50' });
    w = await startWorkerContext({ scheduler: true });
    admin = await adminToken(t);
  });
  afterAll(async () => {
    await w.close();
    await t.close();
    await receiver.close();
  });

  const idsOf = async (vendorId: number): Promise<string[]> =>
    (await t.db.query(`SELECT public_id FROM platform_events WHERE vendor_id = $1 ORDER BY id`, [vendorId])).map((r: { public_id: string }) => r.public_id);
  const statusCounts = async (ids: string[]) =>
    Object.fromEntries((await t.db.query(`SELECT status, count(*)::int AS n FROM platform_events WHERE public_id = ANY($1) GROUP BY status`, [ids])).map((r: { status: string; n: number }) => [r.status, r.n]));

  it('sends every failed event since the given time once more, in order per vendor, and answers how many', async () => {
    // An event that failed before the outage in question: outside `since`, it stays failed.
    const earlier = await signUpVendor(t);
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'past_due' WHERE vendor_id = $1`, [earlier.vendorId]);
    const [earlierId] = await idsOf(earlier.vendorId);
    await receiver.waitFor((r) => r.accepted.some((e) => e.id === earlierId));
    await t.db.query(`UPDATE platform_events SET status = 'failed', delivered_at = NULL, created_at = now() - interval '10 days' WHERE public_id = $1`, [earlierId]);

    const [{ since }] = await t.db.query(`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS since`);
    receiver.behaviour = 503;
    const vendors: SignedUpVendor[] = await Promise.all([signUpVendor(t), signUpVendor(t), signUpVendor(t)]);
    for (const v of vendors) {
      for (const status of ['past_due', 'active', 'past_due', 'active']) await t.db.query(`UPDATE vendor_subscriptions SET status = $2 WHERE vendor_id = $1`, [v.vendorId, status]);
    }
    const idsByVendor = await Promise.all(vendors.map((v) => idsOf(v.vendorId)));
    const ids = idsByVendor.flat();
    expect(ids).toHaveLength(12);

    // Each vendor's first event is tried and refused; past the 3-day window each is given up on in turn.
    await receiver.waitFor((r) => vendors.every((v) => r.received.some((e) => e.vendor_id === v.vendorId)));
    w.clock.advance(4 * 86_400_000);
    await waitUntil(async () => (await statusCounts(ids)).failed === 12, 30_000);

    // Not for vendors, nor bad input (each a 400 in the envelope, nothing changed).
    expect((await api(t, vendors[0].token).post('/api/v1/admin/platform-events/redeliver').send({ status: 'failed', since })).status).toBe(403);
    for (const body of [{}, { status: 'pending', since }, { status: 'failed' }, { status: 'failed', since: 'last friday' }, { status: 'failed', since: '2026-02-30T00:00:00Z' },
      { status: 'failed', since: '2026-12-01' }, { status: 'failed', since, dry_run: 'yes' }, { status: 'failed', since, vendor_id: 1 }]) {
      const res = await api(t, admin).post('/api/v1/admin/platform-events/redeliver').send(body);
      expect({ body, status: res.status, code: res.body.error_code }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
    }
    expect(await statusCounts(ids)).toEqual({ failed: 12 });

    // The console's confirmation asks first how many (changing nothing).
    const dry = await api(t, admin).post('/api/v1/admin/platform-events/redeliver').send({ status: 'failed', since, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({ count: 12, since: new Date(since).toISOString(), dry_run: true });
    expect(await statusCounts(ids)).toEqual({ failed: 12 });

    receiver.behaviour = 200;
    const before = receiver.received.length;
    const res = await api(t, admin).post('/api/v1/admin/platform-events/redeliver').send({ status: 'failed', since });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ count: 12, since: new Date(since).toISOString(), dry_run: false });

    const again = () => receiver.received.slice(before);
    await receiver.waitFor(() => ids.every((id) => again().some((e) => e.id === id && e.answered === 200)));
    await waitUntil(async () => (await statusCounts(ids)).delivered === 12);
    // Each once more, verified, in the order it was written per vendor; the earlier failure not among them.
    for (const [i, v] of vendors.entries()) expect(again().filter((e) => e.vendor_id === v.vendorId).map((e) => e.id)).toEqual(idsByVendor[i]);
    expect(again().every((e) => e.verified)).toBe(true);
    expect(again().some((e) => e.id === earlierId)).toBe(false);
    expect((await t.db.query(`SELECT status FROM platform_events WHERE public_id = $1`, [earlierId]))[0].status).toBe('failed');

    // Nothing failed since: a second call queues none.
    expect((await api(t, admin).post('/api/v1/admin/platform-events/redeliver').send({ status: 'failed', since })).body.count).toBe(0);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
