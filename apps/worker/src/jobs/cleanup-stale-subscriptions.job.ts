import { Injectable } from '@nestjs/common';
import { AdvisoryLock, JOB_SCHEDULE } from '@app/database';
import { SubscriptionLifecycleService } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import type { WorkerJob } from './worker-job.js';

@Injectable()
export class CleanupStaleSubscriptionsJob implements WorkerJob {
  readonly name = 'cleanup-stale-subscriptions';
  // Sundays 00:00 UTC: a 30-day and a 90-day retention need no more than a weekly sweep.
  readonly defaultSchedule = JOB_SCHEDULE['cleanup-stale-subscriptions'].defaultSchedule;
  readonly scheduleVariable = JOB_SCHEDULE['cleanup-stale-subscriptions'].scheduleVariable;
  readonly lock = AdvisoryLock.CleanupStaleSubscriptions;
  // Commits in batches (no plan row locked for longer than one): a session lock, no transaction around the run.
  readonly lockScope = 'session' as const;

  constructor(private readonly lifecycle: SubscriptionLifecycleService) {}

  run(manager: EntityManager) {
    return this.lifecycle.cleanupStaleSubscriptions(manager);
  }
}
