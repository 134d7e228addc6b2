import { Injectable } from '@nestjs/common';
import { AdvisoryLock } from '@app/database';
import type { EntityManager } from 'typeorm';
import { StripeStatusSyncService } from '@app/billing';
import type { WorkerJob } from './worker-job.js';

@Injectable()
export class SyncStripeStatusJob implements WorkerJob {
  readonly name = 'sync-stripe-status';
  // Hourly: a lost or failed webhook is repaired within the hour, well inside Stripe's 3-day event window.
  readonly defaultSchedule = '0 * * * *';
  readonly scheduleVariable = 'CRON_SYNC_STRIPE_STATUS';
  readonly lock = AdvisoryLock.SyncStripeStatus;
  // Minutes of Stripe calls: a session lock, and each subscription or event applied in its own transaction.
  readonly lockScope = 'session' as const;

  constructor(private readonly sync: StripeStatusSyncService) {}

  run(_manager: EntityManager) {
    return this.sync.reconcile();
  }
}
