import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { BillingModule } from '@app/billing';
import { CapacityForecastModule } from '@app/capacity-forecast';
import { CommonModule, validateEnvironment } from '@app/common';
import { JobsModule, DatabaseModule } from '@app/database';
import { StripeModule } from '@app/stripe';
import { SubscriptionModule } from '@app/subscription';
import { CaptureCapacitySnapshotJob } from './jobs/capture-capacity-snapshot.job.js';
import { CheckTrialExpirationsJob } from './jobs/check-trial-expirations.job.js';
import { CleanupStaleSubscriptionsJob } from './jobs/cleanup-stale-subscriptions.job.js';
import { RecordTrialEndingsJob } from './jobs/record-trial-endings.job.js';
import { ResetPeriodCountersJob } from './jobs/reset-period-counters.job.js';
import { SyncStripeStatusJob } from './jobs/sync-stripe-status.job.js';
import { WORKER_JOBS, type WorkerJob } from './jobs/worker-job.js';
import { WorkerJobs } from './jobs/worker-jobs.service.js';

const JOBS = [ResetPeriodCountersJob, CheckTrialExpirationsJob, SyncStripeStatusJob, CleanupStaleSubscriptionsJob, CaptureCapacitySnapshotJob, RecordTrialEndingsJob];

/**
 * The jobs and the libs they call, without a scheduler: `npm run job` runs one of them from here, and the
 * WorkerModule adds the schedule on top.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateEnvironment }),
    CommonModule,
    DatabaseModule.forRole('worker'),
    JobsModule,
    SubscriptionModule,
    CapacityForecastModule,
    StripeModule,
    BillingModule,
  ],
  providers: [
    ...JOBS,
    { provide: WORKER_JOBS, inject: JOBS, useFactory: (...jobs: WorkerJob[]) => jobs },
    WorkerJobs,
  ],
  exports: [WorkerJobs, JobsModule],
})
export class WorkerJobsModule {}
