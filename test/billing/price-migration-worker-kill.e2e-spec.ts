// One schedule and one event per vendor across real worker processes (CONTRACT §11): the built worker carries out a
// price migration against the Stripe double, which carries out the first vendor's phases and holds the answer back,
// so the worker is killed (SIGKILL) mid-call with Stripe changed and nothing recorded; two fresh workers then share
// the rest, the first vendor again included.
import { join } from 'node:path';
import { buildApps, removeTempDataDirs, spawnNode, type Build, type Spawned, workerProcessEnv } from '../ops/support/built-process.js';
import { ADMIN_ENV, adminToken } from '../limits/limits.helpers.js';
import { stripeEnv } from '../stripe-double/stripe-double.js';
import { api, TEST_JWT_SECRET } from '../support/test-app.js';
import { useStripeTestApp } from '../support/stripe-test-app.js';
import { subscribedVendor, syncCatalog, type SubscribedVendor } from './billing-fixtures.js';

const SLOW = 180_000;
const PHASES = /^\/v1\/subscription_schedules\/sub_sched_[^/]+$/;

describe('price migration across worker processes', () => {
  const { t, double } = useStripeTestApp(ADMIN_ENV);
  let build: Build;
  const spawned: Spawned[] = [];
  let vendors: SubscribedVendor[];

  beforeAll(async () => {
    build = await buildApps();
    await syncCatalog(t);
    vendors = [];
    for (let i = 0; i < 4; i++) vendors.push(await subscribedVendor(t, double, 'professional'));
  }, SLOW);
  afterAll(async () => {
    await Promise.all(spawned.map((s) => s.stop()));
    build?.remove();
    removeTempDataDirs();
  });

  const worker = (env: Record<string, string> = {}) => {
    const child = spawnNode(join(build.dir, 'apps/worker/src/main.js'), {
      ...workerProcessEnv(t, TEST_JWT_SECRET),
      ...stripeEnv(double), STRIPE_TIMEOUT_MS: '60000', STRIPE_MAX_NETWORK_RETRIES: '0', PRICE_MIGRATION_POLL_MS: '50', PRICE_MIGRATION_CONCURRENCY: '1', ...env,
    });
    spawned.push(child);
    return child;
  };
  const items = (id: number): Promise<Array<{ vendor_id: number; status: string; attempts: number; leased: boolean }>> =>
    t.db.query(`SELECT vendor_id, status, attempts, leased_until > now() AS leased FROM price_migration_items WHERE migration_id = $1 ORDER BY vendor_id`, [id]);
  const schedulesOf = (subscriptionId: string) => [...double.state.schedules.values()].filter((s) => s.subscription === subscriptionId);
  async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('gives each vendor one schedule and one event after a SIGKILL mid-call, then with two replicas sharing the rest', async () => {
    const admin = await adminToken(t);
    expect((await api(t, admin).patch('/api/v1/admin/subscription-tiers/professional').send({ price_monthly_cents: 10900 })).status).toBe(200);
    const started = await api(t, admin).post('/api/v1/admin/price-migrations').send({ tier_code: 'professional', is_annual: false, notice_days: 0 });
    expect(started.status).toBe(202);
    const id: number = started.body.id;

    // Stripe carries out the first vendor's phases and holds the answer back: the worker waits on it.
    double.delayNext({ method: 'POST', path: PHASES, ms: 10 * 60_000, hold: 'answer' });
    const first = worker();
    await first.waitForOutput(/worker started/, 60_000);
    await until('Stripe to set the first vendor\'s phases', () => [...double.state.schedules.values()].some((s) => s.phases.length === 2));
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    double.releaseHeld(); // the answer nobody reads any more

    // Every vendor listed and told; the claimed batch leased, nothing recorded.
    const dead = await items(id);
    expect(dead.map((i) => [i.status, i.attempts, i.leased])).toEqual(vendors.map(() => ['pending', 1, true]));
    expect(double.state.schedules.size).toBe(1);

    // The dead worker's lease runs out; two replicas started now share the items, one a round.
    await t.db.query(`UPDATE price_migration_items SET leased_until = now() WHERE migration_id = $1`, [id]);
    const replicas = [worker({ PRICE_MIGRATION_BATCH_SIZE: '1' }), worker({ PRICE_MIGRATION_BATCH_SIZE: '1' })];
    await Promise.all(replicas.map((r) => r.waitForOutput(/worker started/, 60_000)));
    await until('the migration to complete', async () => (await t.db.query(`SELECT status FROM price_migrations WHERE id = $1`, [id]))[0].status === 'completed');

    const after = await items(id);
    expect(after.map((i) => [i.status, i.attempts])).toEqual(vendors.map(() => ['scheduled', 2]));
    const [{ new_price_id: newPrice }] = await t.db.query(`SELECT new_price_id FROM price_migrations WHERE id = $1`, [id]);
    for (const v of vendors) {
      const schedules = schedulesOf(v.subscriptionId);
      expect(schedules).toHaveLength(1);
      expect(schedules[0].phases.map((p) => String(p.items[0].price))).toEqual([expect.any(String), newPrice]);
    }
    const events = await t.db.query(`SELECT vendor_id, count(*)::int AS n FROM platform_events WHERE type = 'subscription.price_changing' GROUP BY vendor_id ORDER BY vendor_id`);
    expect(events).toEqual(vendors.map((v) => ({ vendor_id: v.vendorId, n: 1 })).sort((a, b) => a.vendor_id - b.vendor_id));
  }, SLOW);
});
