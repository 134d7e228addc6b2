import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { JobScheduler } from './job-scheduler.js';
import { WorkerJobsModule } from './worker-jobs.module.js';

/** The scheduler and nothing else: jobs call lib services; no HTTP here. */
@Module({
  imports: [ScheduleModule.forRoot(), WorkerJobsModule],
  providers: [JobScheduler],
})
export class WorkerModule {}
