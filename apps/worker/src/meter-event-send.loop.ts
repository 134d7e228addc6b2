import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { MeterEventSenderService } from '@app/subscription';
import { PollingLoop } from './polling-loop.js';

/**
 * Sends overage meter events to Stripe continuously (CONTRACT §12), as the platform events' loop delivers its
 * outbox: a round as soon as the last one found work, otherwise after METER_EVENTS_POLL_MS (1 s). Replicas run
 * their own loops; SKIP LOCKED and the lease share the rows. On shutdown the loop finishes its round.
 */
@Injectable()
export class MeterEventSendLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PollingLoop;

  constructor(
    private readonly sender: MeterEventSenderService,
    config: ConfigService,
  ) {
    this.loop = new PollingLoop('meter event', () => sender.sendDue(), config.get<number>('METER_EVENTS_POLL_MS', 1000), new Logger('MeterEvents'));
  }

  onApplicationBootstrap(): void {
    if (this.sender.configured) this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
