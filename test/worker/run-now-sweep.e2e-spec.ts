import { AdvisoryLock } from '@app/database';
import { prepareWorkerEnvironment, startWorkerContext, type WorkerContext } from './worker-context.js';

const BOUND_MS = 20_000;

/**
 * Issue 21: each job's run-now path (what the scheduler, `npm run job` and an admin's click call) fired 2 × the pool
 * size in parallel in one worker process. A run that held its lock's connection and asked the pool for another to
 * record itself would wait for ever once the other runs held the rest. All answer in bounded time — one succeeded
 * or a few in turn, the rest skipped — and the process keeps working after. With a pool of one connection such a
 * run waits for ever even alone, so that size finds them for certain.
 */
describe.each([1, 5])("worker jobs' run-now paths under 2 × the pool size in parallel (a pool of %i)", (POOL_SIZE) => {
  const PARALLEL = 2 * POOL_SIZE;
  let w: WorkerContext;

  beforeAll(async () => {
    // The pool's size is read when the context's data source is built (one file may build two).
    await prepareWorkerEnvironment({ DATABASE_POOL_SIZE: String(POOL_SIZE) });
    w = await startWorkerContext();
  });
  afterAll(() => w.close());

  it('answers every run of every job, none failed, and the pool still serves', async () => {
    for (const name of w.jobs.names) {
      let timer: NodeJS.Timeout | undefined;
      const runs = await Promise.race([
        Promise.all(Array.from({ length: PARALLEL }, () => w.run(name))),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${name}: no answer within ${BOUND_MS} ms`)), BOUND_MS))),
      ]).finally(() => clearTimeout(timer));
      const statuses = runs.map((r) => r.status);
      expect({ name, failed: runs.filter((r) => r.status === 'failed').map((r) => r.error) }).toEqual({ name, failed: [] });
      expect(statuses).toContain('succeeded');
    }
    const [{ one }] = await w.db.query('SELECT 1 AS one');
    expect(one).toBe(1);
    const [{ running }] = await w.db.query(`SELECT count(*)::int AS running FROM job_runs WHERE status = 'running'`);
    expect(running).toBe(0);
  });

  it("stores and answers a failed run's error without a URL's credentials or query string", async () => {
    const run = await w.runner.run('capture-capacity-snapshot', AdvisoryLock.CaptureCapacitySnapshot, async () => {
      throw new TypeError('fetch failed: https://user:s3cret@outbound.test/hook?token=t0ken');
    });
    expect(run.status).toBe('failed');
    const [row] = await w.db.query(`SELECT error FROM job_runs WHERE id = $1`, [run.id]);
    for (const error of [run.error, row.error]) {
      expect(error).toBe('fetch failed: https://[redacted]@outbound.test/hook?[redacted]');
    }
  });
});
