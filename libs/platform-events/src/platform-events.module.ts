import { Module } from '@nestjs/common';
import { PlatformEventDeliveryService } from './delivery/platform-event-delivery.service.js';
import { PlatformEventMetrics } from './metrics/platform-event.metrics.js';
import { PlatformEventAdminService } from './platform-event-admin.service.js';
import { PlatformEventWriter } from './platform-event-writer.service.js';

/** The outbox of platform events (CONTRACT §9): writing, delivery, the admin view and the metrics. */
@Module({
  providers: [PlatformEventWriter, PlatformEventDeliveryService, PlatformEventAdminService, PlatformEventMetrics],
  exports: [PlatformEventWriter, PlatformEventDeliveryService, PlatformEventAdminService],
})
export class PlatformEventsModule {}
