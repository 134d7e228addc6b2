import { SchedulerRegistry } from '@nestjs/schedule';
import { at, insertSubscription, subscriptionOf } from './subscription-rows.js';
import { prepareWorkerEnvironment, startWorkerContext, type WorkerContext } from './worker-context.js';

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

describe('the worker scheduler', () => {
  let w: WorkerContext;

  beforeAll(async () => {
    // Every second, so the test sees scheduled runs; the other jobs keep their defaults.
    await prepareWorkerEnvironment({ CRON_RESET_PERIOD_COUNTERS: '* * * * * *', CRON_CLEANUP_STALE_SUBSCRIPTIONS: undefined });
    w = await startWorkerContext({ scheduler: true });
  });
  afterAll(() => w.close());

  it('schedules the five jobs in UTC, at the design note\'s times unless a CRON_* variable says otherwise', () => {
    const registry = w.app.get(SchedulerRegistry);
    const jobs = registry.getCronJobs();
    expect([...jobs.keys()].sort()).toEqual(['capture-capacity-snapshot', 'check-trial-expirations', 'cleanup-stale-subscriptions', 'reset-period-counters', 'sync-stripe-status']);
    const next = (name: string) => jobs.get(name)!.nextDate().toUTC();
    expect(next('capture-capacity-snapshot').toFormat('HH:mm')).toBe('00:00');
    expect(next('check-trial-expirations').toFormat('HH:mm')).toBe('01:00');
    expect(next('sync-stripe-status').toFormat('mm')).toBe('00');
    expect(next('cleanup-stale-subscriptions').toFormat('ccc HH:mm')).toBe('Sun 00:00');
    expect(next('reset-period-counters').diffNow().as('seconds')).toBeLessThanOrEqual(1.01);
  });

  it('touches its heartbeat row on start, with the schedules it registered', async () => {
    const [beat] = await waitFor(async () => {
      const rows = await w.db.query(`SELECT worker_id, started_at, last_seen_at, schedules FROM worker_heartbeats`);
      return rows.length > 0 ? rows : undefined;
    });
    expect(beat.worker_id).toMatch(/:\d+$/);
    expect(beat.schedules).toMatchObject({ 'reset-period-counters': '* * * * * *', 'capture-capacity-snapshot': '0 0 * * *' });
  });

  it('records a scheduled run that fails and still runs the next one', async () => {
    w.clock.set(at('2026-03-15T12:00:00Z'));
    const due = await insertSubscription(w.db, { period_start: at('2026-02-01T00:00:00Z'), period_end: at('2026-03-01T00:00:00Z'), orders_this_period: 33 });
    await w.db.query(`
      CREATE OR REPLACE FUNCTION test_refuse_updates() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'forced failure for the test'; END $$;
      CREATE TRIGGER test_refuse_updates BEFORE UPDATE ON vendor_subscriptions FOR EACH ROW EXECUTE FUNCTION test_refuse_updates();`);

    const failed = await waitFor(async () => (await w.db.query(`SELECT id, error FROM job_runs WHERE name = 'reset-period-counters' AND status = 'failed' LIMIT 1`))[0]);
    expect(failed.error).toContain('forced failure');
    expect((await subscriptionOf(w.db, due.vendorId)).orders_this_period).toBe(33);

    await w.db.query(`DROP TRIGGER test_refuse_updates ON vendor_subscriptions`);
    const succeeded = await waitFor(async () => (await w.db.query(`SELECT id FROM job_runs WHERE name = 'reset-period-counters' AND status = 'succeeded' AND rows_affected = 1 AND id > $1`, [failed.id]))[0]);
    expect(succeeded.id).toBeGreaterThan(failed.id);
    expect((await subscriptionOf(w.db, due.vendorId)).orders_this_period).toBe(0);
  });
});
