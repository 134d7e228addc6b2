import { Injectable } from '@nestjs/common';
import { AdvisoryLock, JOB_SCHEDULE } from '@app/database';
import type { EntityManager } from 'typeorm';
import { StripeStatusSyncService } from '@app/billing';
import type { WorkerJob } from './worker-job.js';

@Injectable()
export class SyncStripeStatusJob implements WorkerJob {
  readonly name = 'sync-stripe-status';
  // Hourly: a lost or failed webhook is repaired within the hour, well inside Stripe's 3-day event window.
  readonly defaultSchedule = JOB_SCHEDULE['sync-stripe-status'].defaultSchedule;
  readonly scheduleVariable = JOB_SCHEDULE['sync-stripe-status'].scheduleVariable;
  readonly lock = AdvisoryLock.SyncStripeStatus;
  // Minutes of Stripe calls: a session lock, and each subscription or event applied in its own transaction.
  readonly lockScope = 'session' as const;

  constructor(private readonly sync: StripeStatusSyncService) {}

  run(_manager: EntityManager) {
    return this.sync.reconcile();
  }
}
