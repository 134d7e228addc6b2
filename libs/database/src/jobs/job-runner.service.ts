import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, redactUrlSecrets } from '@app/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AdvisoryLock, tryTransactionLock } from '../advisory-lock.js';
import { setChangeCause } from '../change-cause.js';
import { runStatement } from '../sql.js';
import { JobRun } from './job-run.entity.js';
import { JobProgressError } from './page-batches.js';
import { SessionLockService } from './session-lock.service.js';

export interface JobResult {
  rowsAffected: number;
  details?: Record<string, unknown>;
}

const CLOSE_INTERRUPTED = `UPDATE job_runs SET status = 'failed', finished_at = $2, error = 'interrupted: the process running it stopped before it finished'`;

/** What a job does once it holds its lock. */
export type JobWork = (manager: EntityManager) => Promise<JobResult>;

export interface JobRunOptions {
  /**
   * `transaction` (default): the work runs in one transaction that holds `pg_try_advisory_xact_lock`; it commits
   * or rolls back whole (a transaction-scoped lock is safe behind a transaction-mode pooler). `session`: a session
   * lock held on a direct connection (SessionLockService: DATABASE_DIRECT_URL when set) and a non-transactional
   * manager on the app's pool, for jobs that commit in batches or wait on Stripe and must not hold a transaction
   * open meanwhile.
   */
  lockScope?: 'transaction' | 'session';
  /**
   * Wait up to this many milliseconds for the lock instead of skipping when another process holds it (transaction
   * scope only): an admin's "run now" during the scheduled run then runs right after it rather than being recorded
   * as skipped. The wait holds no connection (the lock is tried again in a new short transaction, with back-off),
   * so any number of waiters never starve the holder or anyone else of the pool; past the bound the run is
   * recorded as skipped.
   */
  waitForLockMs?: number;
}

/** A run that waited for its lock as long as it was allowed to. */
export const LOCK_WAIT_EXPIRED = 'the lock stayed held by another run for longer than this run could wait';

/**
 * Runs a worker job once across replicas: a `job_runs` row (running → succeeded | failed | skipped), the job's
 * advisory lock (another replica holding it means `skipped`), and start/end/duration/rows in the log. A failing
 * job is recorded and answered, never thrown, so the scheduler keeps going. On shutdown it waits for runs in
 * flight (before TypeORM closes its pool, which happens in onApplicationShutdown).
 */
@Injectable()
export class JobRunnerService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('JobRunner');
  private readonly inFlight = new Set<Promise<JobRun>>();
  private closing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly sessionLocks: SessionLockService,
  ) {}

  run(name: string, lock: AdvisoryLock, work: JobWork, options: JobRunOptions = {}): Promise<JobRun> {
    const promise = this.execute(name, lock, work, options);
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
    return promise;
  }

  /** The most recent runs, newest first (`GET /api/v1/admin/jobs`). */
  recentRuns(limit: number): Promise<JobRun[]> {
    return this.dataSource.getRepository(JobRun).find({ order: { startedAt: 'DESC', id: 'DESC' }, take: limit });
  }

  /** The newest run of each job that has run (for the platform's health). */
  latestRunPerJob(): Promise<JobRun[]> {
    return this.dataSource
      .getRepository(JobRun)
      .createQueryBuilder('r')
      .distinctOn(['r.name'])
      .orderBy('r.name')
      .addOrderBy('r.started_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .getMany();
  }

  /** Runs in flight now (the scheduler's and any started by hand). */
  get runningCount(): number {
    return this.inFlight.size;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.closing = true;
    if (this.inFlight.size === 0) return;
    this.logger.log(`Shutting down${signal ? ` on ${signal}` : ''}: waiting for ${this.inFlight.size} running job(s) to finish`);
    await Promise.allSettled([...this.inFlight]);
  }

  private async execute(name: string, lock: AdvisoryLock, work: JobWork, options: JobRunOptions): Promise<JobRun> {
    const runs = this.dataSource.getRepository(JobRun);
    const startedAt = this.clock.now();
    const started = performance.now();
    const run = await runs.save(runs.create({ name, status: 'running', startedAt, rowsAffected: 0, error: null, details: null, finishedAt: null }));
    if (this.closing) return this.finish(run, started, { status: 'skipped', details: { reason: 'the worker is shutting down' } });
    this.logger.log({ job: name, run_id: run.id, msg: `job ${name} started` });
    try {
      const outcome = options.lockScope === 'session' ? await this.underSessionLock(lock, run, work) : await this.underTransactionLock(lock, run, work, options.waitForLockMs ?? 0);
      if (outcome === 'locked' || outcome === 'waited') {
        const reason = outcome === 'locked' ? 'another replica holds the lock' : LOCK_WAIT_EXPIRED;
        return await this.finish(run, started, { status: 'skipped', details: { reason } });
      }
      const done = await this.finish(run, started, { status: 'succeeded', rowsAffected: outcome.rowsAffected, details: outcome.details ?? null });
      await this.closeLeftBehind(name, lock);
      return done;
    } catch (error) {
      // Stored and shown to admins: an outbound call's error may quote a URL with its credentials or query string.
      const message = redactUrlSecrets(error instanceof Error ? error.message : String(error));
      this.logger.error({ job: name, run_id: run.id, err: error, msg: `job ${name} failed: ${message}` });
      // A job that commits in batches says what its committed batches did: that stays done.
      const progress = error instanceof JobProgressError ? error.progress : {};
      return this.finish(run, started, { status: 'failed', error: message.slice(0, 4000), ...progress }).catch((recordError: unknown) => {
        // The database may be what failed: the run stays `running` in the table, the answer still says failed.
        this.logger.error({ job: name, run_id: run.id, err: recordError, msg: `could not record the failure of job ${name}` });
        return Object.assign(run, { status: 'failed' as const, error: message, finishedAt: this.clock.now() });
      });
    }
  }

  /**
   * Closes as failed (interrupted) the runs of a job left `running` by a process that died mid-run, when no process
   * runs the job now (its lock is free): the worker calls this for each job as it starts. Answers how many.
   */
  async closeInterruptedRuns(name: string, lock: AdvisoryLock): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await tryTransactionLock(manager, lock))) return 0;
      const { rowCount } = await runStatement(manager, `${CLOSE_INTERRUPTED} WHERE name = $1 AND status = 'running'`, [name, this.clock.now()]);
      return rowCount;
    });
  }

  /**
   * Marks this run `running` again on the lock's own connection (another replica's `closeLeftBehind` may have
   * closed it in the moment between its insert and the lock). Asking the pool for a second connection while
   * holding one deadlocks the process once every connection is held by a run waiting for the same (issue 21).
   */
  private async claimRun(manager: EntityManager, run: JobRun): Promise<void> {
    await manager.query(`UPDATE job_runs SET status = 'running', finished_at = NULL, error = NULL WHERE id = $1`, [run.id]);
  }

  /**
   * After a run that held the job's lock, in a short transaction of its own: runs of the job still `running` were
   * left by a process that died mid-run (the lock is free again, so no one is inside the job) and are closed as
   * failed. Not inside the run's transaction: there the close would hold a replica's fresh `running` row locked
   * for the whole job, and that replica's `skipped` record would wait for it (two replicas starting one job hung).
   */
  private async closeLeftBehind(name: string, lock: AdvisoryLock): Promise<void> {
    await this.closeInterruptedRuns(name, lock).catch((error: unknown) => this.logger.warn({ job: name, err: error, msg: `could not close interrupted runs of job ${name}` }));
  }

  /**
   * The work in one transaction holding the job's transaction-scoped lock. The claim commits even when the work
   * fails (the work runs in a savepoint). Waiting (`waitMs` > 0) tries
   * the lock again in a new transaction after a back-off, never blocking in `pg_advisory_xact_lock` on a pooled
   * connection.
   */
  private async underTransactionLock(lock: AdvisoryLock, run: JobRun, work: JobWork, waitMs: number): Promise<JobResult | 'locked' | 'waited'> {
    const deadline = performance.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.dataSource.transaction(async (manager) => {
        if (!(await tryTransactionLock(manager, lock))) return 'locked' as const;
        await this.claimRun(manager, run);
        // The history of plan changes records what this run changes as the job's doing.
        await setChangeCause(manager, 'job');
        try {
          return { result: await manager.transaction(work) };
        } catch (error) {
          return { error };
        }
      });
      if (outcome !== 'locked') {
        if ('error' in outcome) throw outcome.error;
        return outcome.result;
      }
      if (waitMs <= 0) return 'locked';
      const pause = Math.min(10 * 2 ** attempt, 200) * (0.5 + Math.random() / 2);
      if (performance.now() + pause > deadline) return 'waited';
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** The session lock's connection is from its own small pool; the claim and the work use the app's pool. */
  private underSessionLock(lock: AdvisoryLock, run: JobRun, work: JobWork): Promise<JobResult | 'locked'> {
    return this.sessionLocks.tryWithLock(lock, async () => {
      await this.claimRun(this.dataSource.manager, run);
      return work(this.dataSource.manager);
    });
  }

  private async finish(run: JobRun, started: number, result: Pick<JobRun, 'status'> & Partial<Pick<JobRun, 'rowsAffected' | 'details' | 'error'>>): Promise<JobRun> {
    const durationMs = Math.round(performance.now() - started);
    Object.assign(run, { rowsAffected: 0, details: null, error: null, ...result, finishedAt: this.clock.now() });
    run.details = { ...(run.details ?? {}), duration_ms: durationMs };
    await this.dataSource.query(
      `UPDATE job_runs SET status = $2, finished_at = $3, rows_affected = $4, error = $5, details = $6 WHERE id = $1`,
      [run.id, run.status, run.finishedAt, run.rowsAffected, run.error, JSON.stringify(run.details)],
    );
    const line = { job: run.name, run_id: run.id, status: run.status, rows_affected: run.rowsAffected, duration_ms: durationMs };
    if (run.status === 'skipped') this.logger.log({ ...line, reason: run.details?.reason, msg: `job ${run.name} skipped: ${String(run.details?.reason ?? '')}` });
    else if (run.status === 'succeeded') this.logger.log({ ...line, msg: `job ${run.name} succeeded: ${run.rowsAffected} rows in ${durationMs} ms` });
    return run;
  }
}
