import type { AdvisoryLock, JobResult, JobRunOptions } from '@app/database';
import type { EntityManager } from 'typeorm';

/** One scheduled job: its name (`npm run job -- <name>`), schedule, lock and the lib call it makes. */
export interface WorkerJob {
  readonly name: string;
  /** A cron expression (5 fields, or 6 with seconds), evaluated in UTC. */
  readonly defaultSchedule: string;
  /** The environment variable that overrides the schedule. */
  readonly scheduleVariable: string;
  readonly lock: AdvisoryLock;
  readonly lockScope?: JobRunOptions['lockScope'];
  run(manager: EntityManager): Promise<JobResult>;
}

/** Nest injection token for the list of jobs. */
export const WORKER_JOBS = Symbol('WORKER_JOBS');
