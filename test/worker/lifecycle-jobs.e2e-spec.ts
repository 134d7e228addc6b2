import { AdvisoryLock } from '@app/database';
import { at, insertSubscription, subscriptionOf } from './subscription-rows.js';
import { prepareWorkerEnvironment, startWorkerContext, type WorkerContext } from './worker-context.js';

const NOW = at('2026-03-15T12:00:00Z');
const DAY = 86_400_000;

describe('worker jobs on due and not-due rows', () => {
  let w: WorkerContext;

  beforeAll(async () => {
    await prepareWorkerEnvironment();
    w = await startWorkerContext();
  });
  afterAll(() => w.close());

  beforeEach(async () => {
    w.clock.set(NOW);
    await w.db.query(`TRUNCATE vendors, stripe_webhook_events, job_runs, capacity_snapshots RESTART IDENTITY CASCADE`);
  });

  const jobRuns = () => w.db.query(`SELECT name, status, rows_affected, error, details FROM job_runs ORDER BY id`);

  describe('reset-period-counters', () => {
    it('moves ended periods of non-Stripe subscriptions forward by whole periods and zeroes their orders', async () => {
      const oneBehind = await insertSubscription(w.db, { period_start: at('2026-02-10T00:00:00Z'), period_end: at('2026-03-10T00:00:00Z'), orders_this_period: 50 });
      const threeBehind = await insertSubscription(w.db, { period_start: at('2025-12-01T00:00:00Z'), period_end: at('2026-01-01T00:00:00Z'), orders_this_period: 9 });
      const annual = await insertSubscription(w.db, { is_annual: true, period_start: at('2025-03-01T00:00:00Z'), period_end: at('2026-03-01T00:00:00Z'), orders_this_period: 70 });
      const monthEnd = await insertSubscription(w.db, { period_start: at('2026-01-31T00:00:00Z'), period_end: at('2026-02-28T00:00:00Z'), orders_this_period: 3 });
      const trial = await insertSubscription(w.db, { status: 'trial', trial_ends_at: at('2026-04-01T00:00:00Z'), period_start: at('2026-02-14T00:00:00Z'), period_end: at('2026-03-14T00:00:00Z'), orders_this_period: 4 });

      const run = await w.run('reset-period-counters');

      expect(run).toMatchObject({ status: 'succeeded', rowsAffected: 5 });
      const expectations: [number, string, string][] = [
        [oneBehind.vendorId, '2026-03-10T00:00:00.000Z', '2026-04-10T00:00:00.000Z'],
        [threeBehind.vendorId, '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
        [annual.vendorId, '2026-03-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z'],
        [monthEnd.vendorId, '2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z'],
        [trial.vendorId, '2026-03-14T00:00:00.000Z', '2026-04-14T00:00:00.000Z'],
      ];
      for (const [vendorId, start, end] of expectations) {
        const sub = await subscriptionOf(w.db, vendorId);
        expect({ vendorId, start: sub.period_start.toISOString(), end: sub.period_end.toISOString(), orders: sub.orders_this_period }).toEqual({ vendorId, start, end, orders: 0 });
      }
      expect(await jobRuns()).toEqual([
        { name: 'reset-period-counters', status: 'succeeded', rows_affected: 5, error: null, details: { batches: expect.any(Number), longest_batch_ms: expect.any(Number), duration_ms: expect.any(Number) } },
      ]);
    });

    it('leaves periods that have not ended, Stripe-billed, cancelled and expired subscriptions alone', async () => {
      const rows = [
        await insertSubscription(w.db, { period_start: at('2026-03-01T00:00:00Z'), period_end: at('2026-04-01T00:00:00Z'), orders_this_period: 7 }),
        await insertSubscription(w.db, { stripe_subscription_id: 'sub_billed_by_stripe', period_start: at('2026-02-01T00:00:00Z'), period_end: at('2026-03-01T00:00:00Z'), orders_this_period: 8 }),
        await insertSubscription(w.db, { status: 'cancelled', period_start: at('2026-02-01T00:00:00Z'), period_end: at('2026-03-01T00:00:00Z'), orders_this_period: 9 }),
        await insertSubscription(w.db, { status: 'expired', period_start: at('2026-01-01T00:00:00Z'), period_end: at('2026-02-01T00:00:00Z'), orders_this_period: 10 }),
      ];
      const before = await Promise.all(rows.map((r) => subscriptionOf(w.db, r.vendorId)));

      const run = await w.run('reset-period-counters');

      expect(run).toMatchObject({ status: 'succeeded', rowsAffected: 0 });
      const after = await Promise.all(rows.map((r) => subscriptionOf(w.db, r.vendorId)));
      expect(after).toEqual(before);
    });

    it('treats a period ending exactly now as ended', async () => {
      const due = await insertSubscription(w.db, { period_start: at('2026-02-15T12:00:00Z'), period_end: NOW, orders_this_period: 5 });
      expect(await w.run('reset-period-counters')).toMatchObject({ status: 'succeeded', rowsAffected: 1 });
      expect((await subscriptionOf(w.db, due.vendorId)).period_end.toISOString()).toBe('2026-04-15T12:00:00.000Z');
    });
  });

  describe('check-trial-expirations', () => {
    it('activates ended trials with a payment method, expires those without, and keeps running trials', async () => {
      const period = { period_start: at('2026-03-01T00:00:00Z'), period_end: at('2026-04-01T00:00:00Z') };
      const withCard = await insertSubscription(w.db, { ...period, status: 'trial', trial_ends_at: at('2026-03-14T00:00:00Z'), has_payment_method: true });
      const withoutCard = await insertSubscription(w.db, { ...period, status: 'trial', trial_ends_at: at('2026-03-15T11:59:59Z') });
      const running = await insertSubscription(w.db, { ...period, status: 'trial', trial_ends_at: at('2026-03-15T12:00:01Z') });
      const alreadyActive = await insertSubscription(w.db, { ...period, status: 'active', trial_ends_at: at('2026-02-01T00:00:00Z') });

      const run = await w.run('check-trial-expirations');

      expect(run).toMatchObject({ status: 'succeeded', rowsAffected: 2, details: expect.objectContaining({ activated: 1, expired: 1 }) });
      expect((await subscriptionOf(w.db, withCard.vendorId)).status).toBe('active');
      expect((await subscriptionOf(w.db, withoutCard.vendorId)).status).toBe('expired');
      expect((await subscriptionOf(w.db, running.vendorId)).status).toBe('trial');
      expect((await subscriptionOf(w.db, alreadyActive.vendorId)).status).toBe('active');

      w.clock.advance(DAY);
      expect(await w.run('check-trial-expirations')).toMatchObject({ status: 'succeeded', rowsAffected: 1 });
      expect((await subscriptionOf(w.db, running.vendorId)).status).toBe('expired');
    });
  });

  describe('cleanup-stale-subscriptions', () => {
    it('expires subscriptions cancelled over 30 days ago and deletes processed webhook events over 90 days old', async () => {
      const stale = await insertSubscription(w.db, { status: 'cancelled', period_start: at('2026-01-10T00:00:00Z'), period_end: at('2026-02-10T00:00:00Z') });
      const recent = await insertSubscription(w.db, { status: 'cancelled', period_start: at('2026-01-20T00:00:00Z'), period_end: at('2026-02-20T00:00:00Z') });
      const active = await insertSubscription(w.db, { status: 'active', stripe_subscription_id: 'sub_old', period_start: at('2025-12-01T00:00:00Z'), period_end: at('2026-01-01T00:00:00Z') });
      const events: [string, string, string][] = [
        ['evt_old_processed', 'processed', '2025-12-01T00:00:00Z'],
        ['evt_old_ignored', 'ignored', '2025-12-05T00:00:00Z'],
        ['evt_old_failed', 'failed', '2025-11-01T00:00:00Z'],
        ['evt_recent_processed', 'processed', '2026-01-01T00:00:00Z'],
      ];
      for (const [id, status, receivedAt] of events) {
        await w.db.query(`INSERT INTO stripe_webhook_events (event_id, type, status, received_at) VALUES ($1, 'invoice.paid', $2, $3)`, [id, status, receivedAt]);
      }

      const run = await w.run('cleanup-stale-subscriptions');

      expect(run).toMatchObject({ status: 'succeeded', rowsAffected: 3, details: expect.objectContaining({ subscriptions_expired: 1, webhook_events_deleted: 2 }) });
      expect((await subscriptionOf(w.db, stale.vendorId)).status).toBe('expired');
      expect((await subscriptionOf(w.db, recent.vendorId)).status).toBe('cancelled');
      expect((await subscriptionOf(w.db, active.vendorId)).status).toBe('active');
      const left = await w.db.query(`SELECT event_id FROM stripe_webhook_events ORDER BY event_id`);
      expect(left.map((e: { event_id: string }) => e.event_id)).toEqual(['evt_old_failed', 'evt_recent_processed']);
    });
  });

  describe('capture-capacity-snapshot', () => {
    it('writes one row per UTC day from the counters, updating it when run again the same day', async () => {
      const period = { period_start: at('2026-03-01T00:00:00Z'), period_end: at('2026-04-01T00:00:00Z') };
      const a = await insertSubscription(w.db, { ...period, tier_code: 'essential', status: 'active', products_count: 150, orders_this_period: 80, team_members_count: 1 });
      await insertSubscription(w.db, { ...period, tier_code: 'essential', status: 'past_due', products_count: 100, orders_this_period: 20, team_members_count: 1 });
      await insertSubscription(w.db, { ...period, tier_code: 'professional', status: 'trial', trial_ends_at: at('2026-04-01T00:00:00Z'), products_count: 1000, orders_this_period: 300, team_members_count: 2 });
      await insertSubscription(w.db, { ...period, tier_code: 'enterprise', status: 'active', products_count: 5000, orders_this_period: 9000, team_members_count: 20 });
      await insertSubscription(w.db, { ...period, tier_code: 'essential', status: 'expired', vendor_active: false, products_count: 10, orders_this_period: 0, team_members_count: 1 });

      const first = await w.run('capture-capacity-snapshot');
      expect(first).toMatchObject({ status: 'succeeded', rowsAffected: 1 });

      const [row] = await w.db.query(`SELECT *, snapshot_date::text AS snapshot_date FROM capacity_snapshots`);
      expect(row).toMatchObject({
        snapshot_date: '2026-03-15',
        total_vendors: 5, active_vendors: 4, trial_vendors: 1, total_subscriptions: 5, paying_subscriptions: 3,
        total_products: '6260', total_orders_month: '9400', total_team_members: 25,
        // Unlimited tiers add nothing: products 2 × 200 (essential); orders 2 × 100 + 500 (professional); team 2 × 1 + 3.
        theoretical_products_limit: '400', theoretical_orders_limit: '700', theoretical_team_limit: '5',
        tier_distribution: { essential: 2, professional: 1, enterprise: 1 },
      });
      expect(Number(row.db_size_mb)).toBeGreaterThan(1);

      await w.db.query(`UPDATE vendor_subscriptions SET products_count = 190 WHERE vendor_id = $1`, [a.vendorId]);
      w.clock.advance(6 * 3600_000);
      await w.run('capture-capacity-snapshot');
      const sameDay = await w.db.query(`SELECT id, snapshot_date::text AS snapshot_date, total_products FROM capacity_snapshots`);
      expect(sameDay).toEqual([{ id: row.id, snapshot_date: '2026-03-15', total_products: '6300' }]);

      w.clock.advance(DAY);
      await w.run('capture-capacity-snapshot');
      const days = await w.db.query(`SELECT snapshot_date::text AS snapshot_date FROM capacity_snapshots ORDER BY snapshot_date`);
      expect(days).toEqual([{ snapshot_date: '2026-03-15' }, { snapshot_date: '2026-03-16' }]);
    });
  });

  describe('failures', () => {
    const installFailingTrigger = () =>
      w.db.query(`
        CREATE OR REPLACE FUNCTION test_refuse_updates() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'forced failure for the test'; END $$;
        CREATE TRIGGER test_refuse_updates BEFORE UPDATE ON vendor_subscriptions FOR EACH ROW EXECUTE FUNCTION test_refuse_updates();`);
    const dropFailingTrigger = () => w.db.query(`DROP TRIGGER IF EXISTS test_refuse_updates ON vendor_subscriptions`);
    afterEach(dropFailingTrigger);

    it('records a failing job as failed, rolls its work back, and runs it normally the next time', async () => {
      const due = await insertSubscription(w.db, { period_start: at('2026-02-01T00:00:00Z'), period_end: at('2026-03-01T00:00:00Z'), orders_this_period: 42 });
      await installFailingTrigger();

      const failed = await w.run('reset-period-counters');
      expect(failed).toMatchObject({ status: 'failed', rowsAffected: 0, error: expect.stringContaining('forced failure') });
      expect((await subscriptionOf(w.db, due.vendorId)).orders_this_period).toBe(42);

      await dropFailingTrigger();
      const next = await w.run('reset-period-counters');
      expect(next).toMatchObject({ status: 'succeeded', rowsAffected: 1 });
      expect((await subscriptionOf(w.db, due.vendorId)).orders_this_period).toBe(0);
      expect(await jobRuns()).toEqual([
        expect.objectContaining({ name: 'reset-period-counters', status: 'failed', error: expect.stringContaining('forced failure') }),
        expect.objectContaining({ name: 'reset-period-counters', status: 'succeeded', rows_affected: 1 }),
      ]);
    });

    it('answers npm run job exit codes: 0 succeeded, 1 failed, 2 unknown name', async () => {
      const { runJobCommand } = await import('../../apps/worker/src/run-job.command.js');
      const lines: string[] = [];
      const out = (line: string) => lines.push(line);

      expect(await runJobCommand('no-such-job', { logger: false, out })).toBe(2);
      expect(lines.pop()).toContain('reset-period-counters, check-trial-expirations, sync-stripe-status, cleanup-stale-subscriptions, capture-capacity-snapshot, record-trial-endings');
      expect(await runJobCommand(undefined, { logger: false, out })).toBe(2);

      expect(await runJobCommand('capture-capacity-snapshot', { logger: false, out })).toBe(0);
      expect(lines.pop()).toMatch(/^capture-capacity-snapshot: succeeded, 1 rows/);
      // Stripe is not configured here: the sync is a clean no-op, which counts as success.
      expect(await runJobCommand('sync-stripe-status', { logger: false, out })).toBe(0);

      await insertSubscription(w.db, { period_start: at('2026-02-01T00:00:00Z'), period_end: at('2026-03-01T00:00:00Z') });
      await installFailingTrigger();
      expect(await runJobCommand('reset-period-counters', { logger: false, out })).toBe(1);
      expect(lines.pop()).toMatch(/^reset-period-counters: failed.*forced failure/);
      const statuses = await w.db.query(`SELECT name, status FROM job_runs ORDER BY id`);
      expect(statuses).toEqual([
        { name: 'capture-capacity-snapshot', status: 'succeeded' },
        { name: 'sync-stripe-status', status: 'succeeded' },
        { name: 'reset-period-counters', status: 'failed' },
      ]);
    });
  });

  it('closes a run left `running` by a process that died as soon as the next run holds that job\'s lock, however recent', async () => {
    await w.db.query(`INSERT INTO job_runs (name, status, started_at) VALUES
      ('check-trial-expirations', 'running', $1), ('check-trial-expirations', 'running', $2), ('capture-capacity-snapshot', 'running', $1)`,
      [new Date(NOW.getTime() - DAY), new Date(NOW.getTime() - 1_000)]);
    expect(await w.run('check-trial-expirations')).toMatchObject({ status: 'succeeded' });
    const runs = await w.db.query(`SELECT name, status, error FROM job_runs ORDER BY id`);
    expect(runs).toEqual([
      { name: 'check-trial-expirations', status: 'failed', error: expect.stringContaining('interrupted') },
      { name: 'check-trial-expirations', status: 'failed', error: expect.stringContaining('interrupted') },
      { name: 'capture-capacity-snapshot', status: 'running', error: null },
      { name: 'check-trial-expirations', status: 'succeeded', error: null },
    ]);
  });

  it('closes the runs a killed worker left `running` when a worker starts again, except a job another process runs now', async () => {
    await w.db.query(`INSERT INTO job_runs (name, status, started_at) VALUES ('reset-period-counters', 'running', $1), ('check-trial-expirations', 'running', $1)`, [new Date(NOW.getTime() - 2_000)]);
    // A live replica in the middle of check-trial-expirations: it holds that job's lock.
    const live = w.db.createQueryRunner();
    await live.connect();
    await live.query('SELECT pg_advisory_lock($1)', [AdvisoryLock.CheckTrialExpirations]);
    try {
      const restarted = await startWorkerContext({ scheduler: true });
      await restarted.close();
    } finally {
      await live.query('SELECT pg_advisory_unlock($1)', [AdvisoryLock.CheckTrialExpirations]);
      await live.release();
    }
    expect(await w.db.query(`SELECT name, status, error FROM job_runs ORDER BY id`)).toEqual([
      { name: 'reset-period-counters', status: 'failed', error: expect.stringContaining('interrupted') },
      { name: 'check-trial-expirations', status: 'running', error: null },
    ]);
  });

  it('waits on shutdown for a job in flight to finish, and keeps its work', async () => {
    const other = await startWorkerContext();
    const due = await insertSubscription(w.db, { period_start: at('2026-02-01T00:00:00Z'), period_end: at('2026-03-01T00:00:00Z'), orders_this_period: 5 });
    const running = other.runner.run('slow-test-job', AdvisoryLock.ResetPeriodCounters, async (manager) => {
      await manager.query(`SELECT pg_sleep(1.2)`);
      await manager.query(`UPDATE vendor_subscriptions SET orders_this_period = 0 WHERE vendor_id = $1`, [due.vendorId]);
      return { rowsAffected: 1 };
    });
    await new Promise((ok) => setTimeout(ok, 200));
    const closing = performance.now();
    await other.close();

    expect(performance.now() - closing).toBeGreaterThan(700);
    expect(await running).toMatchObject({ status: 'succeeded', rowsAffected: 1 });
    expect((await subscriptionOf(w.db, due.vendorId)).orders_this_period).toBe(0);
    expect(await jobRuns()).toEqual([expect.objectContaining({ name: 'slow-test-job', status: 'succeeded', rows_affected: 1 })]);
  });
});
