import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PlatformEventDeliveryService } from '@app/platform-events';
import { PollingLoop } from './polling-loop.js';

/**
 * Delivers platform events continuously: a round as soon as the last one found work, otherwise after
 * PLATFORM_EVENTS_POLL_MS (500 ms by default), so an event leaves within about half a second of its commit
 * without a cron. Replicas run their own loops; SKIP LOCKED shares the events between them. On shutdown the
 * loop finishes its round (bounded by the request timeout) before the pool closes.
 */
@Injectable()
export class PlatformEventDeliveryLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PlatformEvents');
  private readonly loop: PollingLoop;

  constructor(
    private readonly delivery: PlatformEventDeliveryService,
    config: ConfigService,
  ) {
    this.loop = new PollingLoop('platform event delivery', () => delivery.deliverDue(), config.get<number>('PLATFORM_EVENTS_POLL_MS', 500), this.logger);
  }

  onApplicationBootstrap(): void {
    if (!this.delivery.configured) {
      this.logger.log('PLATFORM_WEBHOOK_URL is not set: platform events are written and kept, not delivered');
      return;
    }
    this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
