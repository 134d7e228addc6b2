import { Injectable } from '@nestjs/common';
import { AdvisoryLock, JOB_SCHEDULE } from '@app/database';
import { SubscriptionLifecycleService } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import type { WorkerJob } from './worker-job.js';

@Injectable()
export class RecordTrialEndingsJob implements WorkerJob {
  readonly name = 'record-trial-endings';
  // 02:00 UTC daily: `trial.ending` about 3 days before each trial ends (once per trial end).
  readonly defaultSchedule = JOB_SCHEDULE['record-trial-endings'].defaultSchedule;
  readonly scheduleVariable = JOB_SCHEDULE['record-trial-endings'].scheduleVariable;
  readonly lock = AdvisoryLock.RecordTrialEndings;

  constructor(private readonly lifecycle: SubscriptionLifecycleService) {}

  run(manager: EntityManager) {
    return this.lifecycle.recordTrialEndings(manager);
  }
}
