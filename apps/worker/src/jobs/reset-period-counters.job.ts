import { Injectable } from '@nestjs/common';
import { AdvisoryLock, JOB_SCHEDULE } from '@app/database';
import { SubscriptionLifecycleService } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import type { WorkerJob } from './worker-job.js';

@Injectable()
export class ResetPeriodCountersJob implements WorkerJob {
  readonly name = 'reset-period-counters';
  // 00:05 UTC daily: just after midnight, after the 00:00 snapshot has recorded the closing counters.
  readonly defaultSchedule = JOB_SCHEDULE['reset-period-counters'].defaultSchedule;
  readonly scheduleVariable = JOB_SCHEDULE['reset-period-counters'].scheduleVariable;
  readonly lock = AdvisoryLock.ResetPeriodCounters;
  // Commits in batches (no plan row locked for longer than one): a session lock, no transaction around the run.
  readonly lockScope = 'session' as const;

  constructor(private readonly lifecycle: SubscriptionLifecycleService) {}

  run(manager: EntityManager) {
    return this.lifecycle.resetPeriodCounters(manager);
  }
}
