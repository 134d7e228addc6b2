import { at, insertSubscription, type SubscriptionRow } from './subscription-rows.js';
import { prepareWorkerEnvironment, startWorkerContext, type WorkerContext } from './worker-context.js';

const NOW = at('2026-03-15T12:00:00Z');
const period = { period_start: at('2026-03-01T00:00:00Z'), period_end: at('2026-04-01T00:00:00Z') };
const ended = { period_start: at('2026-01-01T00:00:00Z'), period_end: at('2026-02-01T00:00:00Z') };

// The plans the two status-changing jobs change, in their variety: tiers, intervals, a card or none, a cancellation
// scheduled (`cancel_at`, which the event reports) or flagged at period end.
const trials: (SubscriptionRow & { cancel_at?: Date })[] = [
  { ...period, status: 'trial', trial_ends_at: at('2026-03-14T00:00:00Z'), has_payment_method: true, tier_code: 'professional' },
  { ...period, status: 'trial', trial_ends_at: at('2026-03-15T11:00:00Z'), has_payment_method: false, tier_code: 'essential' },
  { ...period, status: 'trial', trial_ends_at: at('2026-03-10T00:00:00Z'), has_payment_method: true, tier_code: 'business', is_annual: true },
  { ...period, status: 'trial', trial_ends_at: at('2026-03-10T00:00:00Z'), has_payment_method: true, tier_code: 'enterprise', cancel_at: at('2026-03-30T00:00:00Z') },
];
const cancelled: (SubscriptionRow & { cancel_at?: Date })[] = [
  { ...ended, status: 'cancelled', tier_code: 'professional' },
  { ...ended, status: 'cancelled', tier_code: 'business', is_annual: true, cancel_at: ended.period_end },
];

describe('set-based jobs: their own history and events, in batches', () => {
  let w: WorkerContext;

  beforeAll(async () => {
    await prepareWorkerEnvironment();
    w = await startWorkerContext();
  });
  afterAll(() => w.close());

  beforeEach(async () => {
    w.clock.set(NOW);
    await w.db.query(`TRUNCATE vendors, job_runs RESTART IDENTITY CASCADE`);
    await w.db.query(`TRUNCATE platform_events`);
  });

  const insertPlans = async (rows: (SubscriptionRow & { cancel_at?: Date })[]) => {
    const ids: number[] = [];
    for (const { cancel_at: cancelAt, ...row } of rows) {
      const { vendorId } = await insertSubscription(w.db, row);
      if (cancelAt) await w.db.query(`UPDATE vendor_subscriptions SET cancel_at = $2 WHERE vendor_id = $1`, [vendorId, cancelAt]);
      ids.push(vendorId);
    }
    return ids;
  };

  /** Each vendor's history and events since `afterHistoryId` / ever, without ids, in the vendors' order. */
  const written = async (vendorIds: number[], afterHistoryId: number) => {
    const out = [];
    for (const vendorId of vendorIds) {
      const history = await w.db.query(
        `SELECT changed_at, changed, item_code, status_before, status_after, is_annual, value_before_cents, value_after_cents, value_until, cause, scheduled
           FROM subscription_changes WHERE vendor_id = $1 AND id > $2 ORDER BY id`,
        [vendorId, afterHistoryId],
      );
      const events = await w.db.query(`SELECT type, data, status FROM platform_events WHERE vendor_id = $1 ORDER BY id`, [vendorId]);
      out.push({ history, events });
    }
    return out;
  };
  const lastHistoryId = async () => (await w.db.query(`SELECT COALESCE(max(id), 0)::int AS id FROM subscription_changes`))[0].id;

  it.each([
    ['check-trial-expirations', trials, `status = CASE WHEN has_payment_method THEN 'active' ELSE 'expired' END`],
    ['cleanup-stale-subscriptions', cancelled, `status = 'expired'`],
  ])('%s writes exactly the history and subscription.updated rows the triggers write for the same change, one per changed plan', async (job, rows, set) => {
    const byTriggers = await insertPlans(rows);
    const byJob = await insertPlans(rows);
    await w.db.query(`TRUNCATE platform_events`);
    const before = await lastHistoryId();

    // The same change through the triggers: a plain statement in a transaction whose cause is the job's.
    await w.db.transaction(async (m) => {
      await m.query(`SELECT set_config('vb.change_cause', 'job', true)`);
      await m.query(`UPDATE vendor_subscriptions SET ${set}, updated_at = $2 WHERE vendor_id = ANY($1)`, [byTriggers, NOW]);
    });
    const run = await w.run(job);

    expect(run).toMatchObject({ status: 'succeeded' });
    expect(run.details).toMatchObject({ history_rows: rows.length, events: rows.length });
    const fromTriggers = await written(byTriggers, before);
    const fromJob = await written(byJob, before);
    expect(fromJob).toEqual(fromTriggers);
    // One history row (no scheduled end: nothing still counts) and one pending event per changed plan.
    expect(fromJob.map((v) => [v.history.length, v.events.length])).toEqual(rows.map(() => [1, 1]));
    expect(fromJob.flatMap((v) => v.events.map((e: { type: string; status: string }) => [e.type, e.status]))).toEqual(rows.map(() => ['subscription.updated', 'pending']));
    // Each row chains on the plan's last value (worth nothing in a trial or past a cancelled plan's end). By id: the
    // rows written at insert carry the real time, the job's the test's clock.
    for (const vendorId of byJob) {
      const chain = await w.db.query(`SELECT value_before_cents, value_after_cents FROM subscription_changes WHERE vendor_id = $1 ORDER BY id`, [vendorId]);
      for (let i = 1; i < chain.length; i++) expect(chain[i].value_before_cents).toBe(chain[i - 1].value_after_cents);
    }
  });

  /** `count` due trials in one statement (the history's insert trigger runs for each, as for any new plan). */
  const insertDueTrials = async (count: number) => {
    await w.db.query(`INSERT INTO vendors (code, name) SELECT 'batch-' || g, 'Batch ' || g FROM generate_series(1, $1) g`, [count]);
    await w.db.query(
      `INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, trial_ends_at, period_start, period_end, has_payment_method)
       SELECT id, 'professional', 'trial', $1::timestamptz - interval '1 day', $1::timestamptz - interval '20 days', $1::timestamptz + interval '10 days', id % 2 = 0
         FROM vendors ORDER BY id`,
      [NOW],
    );
    await w.db.query(`TRUNCATE platform_events`);
  };
  const changedCount = async () => (await w.db.query(`SELECT count(*)::int AS n FROM vendor_subscriptions WHERE status <> 'trial'`))[0].n;
  const lastPageVendor = async () => (await w.db.query(`SELECT vendor_id FROM vendor_subscriptions ORDER BY ctid DESC LIMIT 1`))[0].vendor_id;

  it('commits in batches: while one plan row is held, the other batches commit and their rows are free', async () => {
    const TOTAL = 3000;
    await insertDueTrials(TOTAL);
    const heldVendor = await lastPageVendor();
    const holder = w.db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query(`SELECT 1 FROM vendor_subscriptions WHERE vendor_id = $1 FOR UPDATE`, [heldVendor]);

    const running = w.run('check-trial-expirations');
    try {
      // Until the job waits on the held row and every other batch has committed (bounded: the job is blocked there).
      const deadline = Date.now() + 20_000;
      for (;;) {
        const [{ waiting, active }] = await w.db.query(
          `SELECT count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS waiting, count(*)::int AS active
             FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%UPDATE vendor_subscriptions SET status%'`,
        );
        if (waiting === 1 && active === 1) break;
        if (Date.now() > deadline) throw new Error(`the job did not come to wait on the held row (waiting ${waiting}, active ${active})`);
        await new Promise((ok) => setTimeout(ok, 20));
      }
      const committed = await changedCount();
      expect(committed).toBeGreaterThan(0);
      expect(committed).toBeLessThan(TOTAL);
      // A row a committed batch changed is free at once: the job does not hold all its rows until it ends.
      const [free] = await w.db.query(`SELECT vendor_id FROM vendor_subscriptions WHERE status <> 'trial' ORDER BY ctid LIMIT 1`);
      await w.db.transaction(async (m) => {
        expect(await m.query(`SELECT status FROM vendor_subscriptions WHERE vendor_id = $1 FOR UPDATE NOWAIT`, [free.vendor_id])).toHaveLength(1);
      });
      // The job's history and events of the committed batches are there with them, one of each per changed plan.
      const [written] = await w.db.query(
        `SELECT (SELECT count(*) FROM subscription_changes WHERE changed = ARRAY['status'])::int AS history, (SELECT count(*) FROM platform_events)::int AS events`,
      );
      expect(written).toEqual({ history: committed, events: committed });
    } finally {
      await holder.commitTransaction();
      await holder.release();
    }
    const run = await running;
    expect(run).toMatchObject({ status: 'succeeded', rowsAffected: TOTAL });
    expect(run.details).toMatchObject({ history_rows: TOTAL, events: TOTAL, batches: expect.any(Number) });
    expect((run.details as { batches: number }).batches).toBeGreaterThan(1);
    expect(await changedCount()).toBe(TOTAL);
  });

  it('records what the committed batches did when a later batch fails, and the next run does the rest', async () => {
    const TOTAL = 3000;
    await insertDueTrials(TOTAL);
    const failing = await lastPageVendor();
    await w.db.query(`
      CREATE FUNCTION test_refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.vendor_id = ${Number(failing)} THEN RAISE EXCEPTION 'forced failure for the test'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER test_refuse_one BEFORE UPDATE ON vendor_subscriptions FOR EACH ROW EXECUTE FUNCTION test_refuse_one();`);
    try {
      const failed = await w.run('check-trial-expirations');
      const committed = await changedCount();
      expect(committed).toBeGreaterThan(0);
      expect(committed).toBeLessThan(TOTAL);
      expect(failed).toMatchObject({ status: 'failed', rowsAffected: committed, error: expect.stringContaining('forced failure') });
      const [row] = await w.db.query(`SELECT status, rows_affected, details FROM job_runs WHERE id = $1`, [failed.id]);
      expect(row).toMatchObject({ status: 'failed', rows_affected: committed, details: expect.objectContaining({ history_rows: committed, events: committed }) });
    } finally {
      await w.db.query(`DROP TRIGGER test_refuse_one ON vendor_subscriptions; DROP FUNCTION test_refuse_one()`);
    }
    const before = await changedCount();
    const next = await w.run('check-trial-expirations');
    expect(next).toMatchObject({ status: 'succeeded', rowsAffected: TOTAL - before });
    expect(await changedCount()).toBe(TOTAL);
    const [{ events }] = await w.db.query(`SELECT count(*)::int AS events FROM platform_events`);
    expect(events).toBe(TOTAL);
  });
});
