// Exactly one meter event per overage order across real worker processes (CONTRACT §12): the built worker sends the
// outbox to the Stripe double, which carries the first event out and holds its answer back, so the worker is killed
// (SIGKILL) mid-send with Stripe having counted it and the row still pending; two fresh workers then share the rest.
import { join } from 'node:path';
import { CatalogSyncService } from '@app/billing';
import { OVERAGE_METER_EVENT_NAME } from '@app/subscription';
import { buildApps, removeTempDataDirs, spawnNode, type Build, type Spawned, workerProcessEnv } from '../ops/support/built-process.js';
import { carryMeteredItem, insertTier, moveToTier } from '../limits/limits.helpers.js';
import { meterUsage } from '../stripe-double/resources/meters.js';
import { stripeEnv } from '../stripe-double/stripe-double.js';
import { api, TEST_JWT_SECRET } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { linkedVendor, priceTheTiers } from '../webhooks/webhook-fixtures.js';

const SLOW = 120_000;
const METER_EVENTS = '/v1/billing/meter_events';
const OVERAGE_ORDERS = 6;

describe('overage meter events across worker processes', () => {
  const { t, double } = useStripeTestApp();
  let build: Build;
  const spawned: Spawned[] = [];

  beforeAll(async () => {
    build = await buildApps();
    await insertTier(t, 'ovg-kill', { products: 5, orders: 1, team: 3 });
    await t.db.query(`UPDATE subscription_tiers SET orders_overage_price_cents = 100, price_monthly_cents = 100000 WHERE code = 'ovg-kill'`);
    await t.app.get(CatalogSyncService).syncCatalog();
  }, SLOW);
  afterAll(async () => {
    await Promise.all(spawned.map((s) => s.stop()));
    build?.remove();
    removeTempDataDirs();
  });

  const worker = (env: Record<string, string> = {}) => {
    const child = spawnNode(join(build.dir, 'apps/worker/src/main.js'), {
      ...workerProcessEnv(t, TEST_JWT_SECRET),
      ...stripeEnv(double), STRIPE_TIMEOUT_MS: '60000', STRIPE_MAX_NETWORK_RETRIES: '0', METER_EVENTS_POLL_MS: '50', ...env,
    });
    spawned.push(child);
    return child;
  };
  const rows = (vendorId: number): Promise<Array<{ identifier: string; status: string; attempts: number; leased: boolean; stripe_response: Record<string, unknown> | null }>> =>
    t.db.query(`SELECT identifier, status, attempts, leased_until > now() AS leased, stripe_response FROM stripe_meter_events WHERE vendor_id = $1 ORDER BY id`, [vendorId]);
  async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('bills each order once after a SIGKILL mid-send, then with two replicas sharing the outbox', async () => {
    const { essentialMonthly } = await priceTheTiers(t, double);
    const { vendor, customerId } = await linkedVendor(t, double, essentialMonthly);
    await moveToTier(t, vendor.vendorId, 'ovg-kill');
    await carryMeteredItem(t, vendor.vendorId);
    for (let i = 0; i <= OVERAGE_ORDERS; i++) expect((await api(t, vendor.token).post('/api/v1/vendor/orders').send({ total_cents: 500 })).status).toBe(201);
    const identifiers = (await rows(vendor.vendorId)).map((r) => r.identifier);
    expect(identifiers).toHaveLength(OVERAGE_ORDERS);
    const accepted = () => double.state.meterEvents.filter((e) => e.event.payload.stripe_customer_id === customerId).map((e) => e.event.identifier);

    // Stripe counts the first event and holds its answer back: the worker waits on it with every row leased.
    double.delayNext({ method: 'POST', path: METER_EVENTS, ms: 10 * 60_000, hold: 'answer' });
    const first = worker();
    await first.waitForOutput(/worker started/, 60_000);
    await until('Stripe to count the first event', () => accepted().length === 1);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    double.releaseHeld(); // the answer nobody reads any more

    const dead = await rows(vendor.vendorId);
    expect(accepted()).toEqual([identifiers[0]]);
    // Claimed as one batch, nothing recorded: every row pending under the dead worker's lease, none sent.
    expect(dead.map((r) => [r.status, r.attempts, r.leased])).toEqual(identifiers.map(() => ['pending', 1, true]));

    // The dead worker's lease (its 60 s timeout + 10 s) runs out; two replicas started now share the rows, one a round.
    await t.db.query(`UPDATE stripe_meter_events SET leased_until = now() WHERE vendor_id = $1`, [vendor.vendorId]);
    const sentBefore = double.requestsTo('POST', METER_EVENTS).length;
    const replicas = [worker({ METER_EVENTS_BATCH_SIZE: '1' }), worker({ METER_EVENTS_BATCH_SIZE: '1' })];
    await Promise.all(replicas.map((r) => r.waitForOutput(/worker started/, 60_000)));
    await until('every row sent', async () => (await rows(vendor.vendorId)).every((r) => r.status === 'sent'));

    const after = await rows(vendor.vendorId);
    expect(after.map((r) => [r.identifier, r.status, r.attempts])).toEqual(identifiers.map((id) => [id, 'sent', 2]));
    // The one Stripe counted before the kill came back a duplicate (recorded sent); each other was accepted once.
    expect(after[0].stripe_response).toMatchObject({ duplicate: true, code: 'duplicate_meter_event' });
    expect(after.slice(1).every((r) => r.stripe_response?.object === 'billing.meter_event')).toBe(true);
    expect(double.requestsTo('POST', METER_EVENTS).length - sentBefore).toBe(OVERAGE_ORDERS);
    expect(accepted().sort()).toEqual([...identifiers].sort());
    expect(meterUsage(double.state, customerId, OVERAGE_METER_EVENT_NAME)).toBe(OVERAGE_ORDERS);
  }, SLOW);
});
