import { at, insertSubscription, subscriptionOf } from './subscription-rows.js';
import { prepareWorkerEnvironment, startWorkerContext, type WorkerContext } from './worker-context.js';

const NOW = at('2026-03-15T12:00:00Z');

describe('a job across worker replicas', () => {
  let a: WorkerContext;
  let b: WorkerContext;

  beforeAll(async () => {
    await prepareWorkerEnvironment();
    [a, b] = await Promise.all([startWorkerContext(), startWorkerContext()]);
    a.clock.set(NOW);
    b.clock.set(NOW);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('runs once when two replicas start it at the same time: one does the work, the other records skipped', async () => {
    const due = [];
    for (let i = 0; i < 20; i++) {
      due.push(await insertSubscription(a.db, { period_start: at('2026-01-15T00:00:00Z'), period_end: at('2026-02-15T00:00:00Z'), orders_this_period: 10 + i }));
    }
    // Hold one due row so whichever replica wins the lock stays inside its job while the other one arrives.
    const blocker = a.db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query(`SELECT 1 FROM vendor_subscriptions WHERE vendor_id = $1 FOR UPDATE`, [due[0].vendorId]);

    const runs = [a.run('reset-period-counters'), b.run('reset-period-counters')];
    const first = await Promise.race(runs);
    await blocker.commitTransaction();
    await blocker.release();
    const results = await Promise.all(runs);

    expect(first.status).toBe('skipped');
    expect(results.map((r) => r.status).sort()).toEqual(['skipped', 'succeeded']);
    expect(results.find((r) => r.status === 'succeeded')?.rowsAffected).toBe(20);
    const rows = await a.db.query(`SELECT status, rows_affected, details->>'reason' AS reason FROM job_runs WHERE name = 'reset-period-counters' ORDER BY status`);
    expect(rows).toEqual([
      { status: 'skipped', rows_affected: 0, reason: 'another replica holds the lock' },
      { status: 'succeeded', rows_affected: 20, reason: null },
    ]);
    // Applied once: one period forward (a second application would have found nothing due, but never two periods).
    for (const { vendorId } of due) {
      const sub = await subscriptionOf(a.db, vendorId);
      expect([sub.period_start.toISOString(), sub.period_end.toISOString(), sub.orders_this_period]).toEqual(['2026-03-15T00:00:00.000Z', '2026-04-15T00:00:00.000Z', 0]);
    }
  });

  it('lets the other replica run it once the first has finished', async () => {
    await insertSubscription(a.db, { status: 'trial', trial_ends_at: at('2026-03-01T00:00:00Z'), period_start: at('2026-03-01T00:00:00Z'), period_end: at('2026-04-01T00:00:00Z') });
    expect(await a.run('check-trial-expirations')).toMatchObject({ status: 'succeeded', rowsAffected: 1 });
    expect(await b.run('check-trial-expirations')).toMatchObject({ status: 'succeeded', rowsAffected: 0 });
  });

  it('runs different jobs side by side: each has its own lock', async () => {
    const results = await Promise.all([a.run('capture-capacity-snapshot'), b.run('cleanup-stale-subscriptions')]);
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });
});
