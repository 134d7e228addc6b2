import { Injectable } from '@nestjs/common';
import { AdvisoryLock, JOB_SCHEDULE } from '@app/database';
import { SubscriptionLifecycleService } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import type { WorkerJob } from './worker-job.js';

@Injectable()
export class CheckTrialExpirationsJob implements WorkerJob {
  readonly name = 'check-trial-expirations';
  // 01:00 UTC daily: an ended trial becomes active (card on file) or expired within a day of ending.
  readonly defaultSchedule = JOB_SCHEDULE['check-trial-expirations'].defaultSchedule;
  readonly scheduleVariable = JOB_SCHEDULE['check-trial-expirations'].scheduleVariable;
  readonly lock = AdvisoryLock.CheckTrialExpirations;
  // Commits in batches (no plan row locked for longer than one): a session lock, no transaction around the run.
  readonly lockScope = 'session' as const;

  constructor(private readonly lifecycle: SubscriptionLifecycleService) {}

  run(manager: EntityManager) {
    return this.lifecycle.checkTrialExpirations(manager);
  }
}
