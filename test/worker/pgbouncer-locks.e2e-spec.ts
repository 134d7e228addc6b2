import pg from 'pg';
import { AdvisoryLock, type JobResult } from '@app/database';
import { pgbouncerShow, throughPgbouncer } from '../support/database.js';
import { applyEnvironment } from '../support/test-app.js';
import { prepareWorkerEnvironment, startWorkerContext, type WorkerContext } from './worker-context.js';

/** A job body that stays inside its lock until `release()`. */
function heldJob() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const work = async (): Promise<JobResult> => {
    entered();
    await gate;
    return { rowsAffected: 1 };
  };
  return { work, inside, release };
}

// Two worker replicas with DATABASE_URL through PgBouncer (transaction mode) and DATABASE_DIRECT_URL at the server:
// a session lock taken through the pooler would land on whichever server connection is free (and be re-entered or
// leaked); the runner holds it on a direct connection instead.
describe('the worker job locks behind PgBouncer', () => {
  let a: WorkerContext;
  let b: WorkerContext;
  let server: pg.Client;
  let database: string;

  beforeAll(async () => {
    const direct = await prepareWorkerEnvironment();
    database = new URL(direct).pathname.slice(1);
    applyEnvironment({ DATABASE_URL: throughPgbouncer(direct), DATABASE_DIRECT_URL: direct });
    [a, b] = await Promise.all([startWorkerContext(), startWorkerContext()]);
    server = new pg.Client({ connectionString: direct });
    await server.connect();
  });
  afterAll(async () => {
    await server.end();
    await a.close();
    await b.close();
  });

  /** The backends holding the session advisory lock `key` on the test database. */
  async function lockHolders(key: AdvisoryLock): Promise<Array<{ pid: number; application_name: string }>> {
    const { rows } = await server.query(
      `SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.objid = $1 AND l.granted AND a.datname = $2`,
      [key, database],
    );
    return rows;
  }

  it('runs a session-locked job once across two replicas, holding the lock on a direct connection', async () => {
    const first = heldJob();
    const running = a.runner.run('pooled-session-job', AdvisoryLock.SyncStripeStatus, first.work, { lockScope: 'session' });
    await first.inside;

    const other = await b.runner.run('pooled-session-job', AdvisoryLock.SyncStripeStatus, async () => ({ rowsAffected: 99 }), { lockScope: 'session' });
    expect(other).toMatchObject({ status: 'skipped', details: { reason: 'another replica holds the lock' } });
    const again = await a.runner.run('pooled-session-job', AdvisoryLock.SyncStripeStatus, async () => ({ rowsAffected: 99 }), { lockScope: 'session' });
    expect(again.status).toBe('skipped');

    const holders = await lockHolders(AdvisoryLock.SyncStripeStatus);
    expect(holders).toEqual([{ pid: expect.any(Number), application_name: expect.stringMatching(/-locks$/) }]);
    const pooled = (await pgbouncerShow<{ remote_pid: string }>('SERVERS')).map((s) => Number(s.remote_pid));
    expect(pooled).not.toContain(holders[0].pid);

    first.release();
    expect(await running).toMatchObject({ status: 'succeeded', rowsAffected: 1 });
    expect(await lockHolders(AdvisoryLock.SyncStripeStatus)).toEqual([]);
    expect(await b.runner.run('pooled-session-job', AdvisoryLock.SyncStripeStatus, async () => ({ rowsAffected: 2 }), { lockScope: 'session' })).toMatchObject({
      status: 'succeeded',
      rowsAffected: 2,
    });
    const runs = await a.db.query(`SELECT status, count(*)::int AS n FROM job_runs WHERE name = 'pooled-session-job' GROUP BY status ORDER BY status`);
    expect(runs).toEqual([
      { status: 'skipped', n: 2 },
      { status: 'succeeded', n: 2 },
    ]);
  });

  it('runs a transaction-locked job once across two replicas through the pooler', async () => {
    const first = heldJob();
    const running = a.runner.run('pooled-transaction-job', AdvisoryLock.CaptureCapacitySnapshot, first.work);
    await first.inside;
    expect(await b.runner.run('pooled-transaction-job', AdvisoryLock.CaptureCapacitySnapshot, async () => ({ rowsAffected: 99 }))).toMatchObject({ status: 'skipped' });
    first.release();
    expect(await running).toMatchObject({ status: 'succeeded', rowsAffected: 1 });
    expect(await b.runner.run('pooled-transaction-job', AdvisoryLock.CaptureCapacitySnapshot, async () => ({ rowsAffected: 2 }))).toMatchObject({ status: 'succeeded' });
  });

  it('runs every real job through the pooler', async () => {
    const results = [];
    for (const name of a.jobs.names) results.push([name, (await a.run(name)).status]);
    expect(results).toEqual(a.jobs.names.map((name) => [name, 'succeeded']));
    expect(await lockHolders(AdvisoryLock.SyncStripeStatus)).toEqual([]);
  });
});
