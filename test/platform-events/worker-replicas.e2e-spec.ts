import { join } from 'node:path';
import { buildApps, removeTempDataDirs, spawnNode, type Build, type Spawned, workerProcessEnv } from '../ops/support/built-process.js';
import { signUpVendor } from '../factories/vendor.factory.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';
import { startWorkerContext, type WorkerContext } from '../worker/worker-context.js';
import { RECEIVER_SECRET, TestReceiver } from './receiver.js';

const SLOW = 90_000;
const TIMEOUT_MS = 5000;

/** Delivery across worker processes: one killed mid-POST, then two replicas sharing the outbox. */
describe('platform events across worker replicas', () => {
  let t: TestApp;
  let receiver: TestReceiver;
  let url: string;
  let build: Build;
  const replicas: WorkerContext[] = [];
  const spawned: Spawned[] = [];

  beforeAll(async () => {
    receiver = new TestReceiver();
    url = await receiver.start();
    [build, t] = await Promise.all([
      buildApps(),
      createTestApp({ PLATFORM_WEBHOOK_URL: url, PLATFORM_WEBHOOK_SECRET: RECEIVER_SECRET, PLATFORM_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS), PLATFORM_EVENTS_POLL_MS: '50' }),
    ]);
  }, SLOW);
  afterAll(async () => {
    await Promise.all(spawned.map((s) => s.stop()));
    for (const r of replicas) await r.close();
    await t.close();
    await receiver.close();
    build?.remove();
    removeTempDataDirs();
  });

  it('loses nothing when a worker is killed while POSTing: another one sends it again, with the same id', async () => {
    receiver.behaviour = 'hang';
    const worker = spawnNode(join(build.dir, 'apps/worker/src/main.js'), {
      ...workerProcessEnv(t, TEST_JWT_SECRET),
      PLATFORM_WEBHOOK_URL: url, PLATFORM_WEBHOOK_SECRET: RECEIVER_SECRET, PLATFORM_WEBHOOK_TIMEOUT_MS: '60000', PLATFORM_EVENTS_POLL_MS: '50',
    });
    spawned.push(worker);
    await worker.waitForOutput(/worker started/, 60_000);
    const v = await signUpVendor(t);
    await t.db.query(`UPDATE vendor_subscriptions SET status = 'past_due' WHERE vendor_id = $1`, [v.vendorId]);
    const [{ public_id: id }] = await t.db.query(`SELECT public_id FROM platform_events WHERE vendor_id = $1`, [v.vendorId]);
    await receiver.waitFor((r) => r.received.some((e) => e.id === id));

    worker.child.kill('SIGKILL');
    await worker.exited;
    const [inFlight] = await t.db.query(`SELECT status, attempts, leased_until > now() AS leased FROM platform_events WHERE public_id = $1`, [id]);
    expect(inFlight).toEqual({ status: 'pending', attempts: 1, leased: true });

    receiver.behaviour = 200;
    // The dead worker's lease (its 60 s timeout + 5 s) runs out; a replica started now takes the event after it.
    await t.db.query(`UPDATE platform_events SET leased_until = now() + interval '1 second' WHERE public_id = $1`, [id]);
    replicas.push(await startWorkerContext({ scheduler: true }));
    await receiver.waitFor((r) => r.accepted.some((e) => e.id === id));
    for (let i = 0; i < 100 && (await t.db.query(`SELECT status FROM platform_events WHERE public_id = $1`, [id]))[0].status !== 'delivered'; i++) await new Promise((r) => setTimeout(r, 50));
    const [after] = await t.db.query(`SELECT status, attempts FROM platform_events WHERE public_id = $1`, [id]);
    expect(after).toEqual({ status: 'delivered', attempts: 2 });
    expect(receiver.received.filter((e) => e.id === id).map((e) => e.answered)).toEqual(['hang', 200]);
  }, SLOW);

  it('shares the outbox between two replicas: every event delivered once, in order per vendor', async () => {
    while (replicas.length) await replicas.pop()!.close();
    replicas.push(await startWorkerContext({ scheduler: true }), await startWorkerContext({ scheduler: true }));
    const before = receiver.received.length;
    const vendors = await Promise.all(Array.from({ length: 10 }, () => signUpVendor(t)));
    await Promise.all(vendors.map(async (v) => {
      for (const status of ['active', 'past_due', 'active', 'past_due', 'active']) {
        await t.db.query(`UPDATE vendor_subscriptions SET status = $2 WHERE vendor_id = $1`, [v.vendorId, status]);
      }
    }));
    const rows: Array<{ public_id: string; vendor_id: number }> = await t.db.query(`SELECT public_id, vendor_id FROM platform_events WHERE vendor_id = ANY($1) ORDER BY id`, [vendors.map((v) => v.vendorId)]);
    expect(rows).toHaveLength(50);
    await receiver.waitFor((r) => rows.every((row) => r.accepted.some((e) => e.id === row.public_id)));
    const got = receiver.received.slice(before);
    expect(got.map((e) => e.id).sort()).toEqual(rows.map((r) => r.public_id).sort());
    for (const v of vendors) {
      expect(got.filter((e) => e.vendor_id === v.vendorId).map((e) => e.id)).toEqual(rows.filter((r) => r.vendor_id === v.vendorId).map((r) => r.public_id));
    }
  }, SLOW);
});
