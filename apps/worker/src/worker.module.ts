import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { PlatformEventsModule } from '@app/platform-events';
import { SubscriptionModule } from '@app/subscription';
import { MeterEventSendLoop } from './meter-event-send.loop.js';
import { JobScheduler } from './job-scheduler.js';
import { PlatformEventDeliveryLoop } from './platform-event-delivery.loop.js';
import { PriceMigrationLoop } from './price-migration.loop.js';
import { WorkerJobsModule } from './worker-jobs.module.js';

/** The scheduler and the platform events' delivery loop: jobs call lib services; no HTTP here. */
@Module({
  imports: [ScheduleModule.forRoot(), WorkerJobsModule, PlatformEventsModule, SubscriptionModule],
  providers: [JobScheduler, PlatformEventDeliveryLoop, MeterEventSendLoop, PriceMigrationLoop],
})
export class WorkerModule {}
