import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { PlatformEventsModule } from '@app/platform-events';
import { JobScheduler } from './job-scheduler.js';
import { PlatformEventDeliveryLoop } from './platform-event-delivery.loop.js';
import { WorkerJobsModule } from './worker-jobs.module.js';

/** The scheduler and the platform events' delivery loop: jobs call lib services; no HTTP here. */
@Module({
  imports: [ScheduleModule.forRoot(), WorkerJobsModule, PlatformEventsModule],
  providers: [JobScheduler, PlatformEventDeliveryLoop],
})
export class WorkerModule {}
