import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PlatformEventDeliveryService } from '@app/platform-events';

/**
 * Delivers platform events continuously: a round as soon as the last one found work, otherwise after
 * PLATFORM_EVENTS_POLL_MS (500 ms by default), so an event leaves within about half a second of its commit
 * without a cron. Replicas run their own loops; SKIP LOCKED shares the events between them. On shutdown the
 * loop finishes its round (bounded by the request timeout) before the pool closes.
 */
@Injectable()
export class PlatformEventDeliveryLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PlatformEvents');
  private readonly pollMs: number;
  private stopping = false;
  private running?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly delivery: PlatformEventDeliveryService,
    config: ConfigService,
  ) {
    this.pollMs = config.get<number>('PLATFORM_EVENTS_POLL_MS', 500);
  }

  onApplicationBootstrap(): void {
    if (!this.delivery.configured) {
      this.logger.log('PLATFORM_WEBHOOK_URL is not set: platform events are written and kept, not delivered');
      return;
    }
    this.running = this.loop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let found = 0;
      try {
        found = await this.delivery.deliverDue();
        failures = 0;
      } catch (error) {
        // The database is unreachable or restarting: wait longer each time (at most 30 s), never exit.
        failures += 1;
        this.logger.error({ err: error, msg: `platform event delivery round failed: ${(error as Error).message}` });
      }
      if (found === 0 && !this.stopping) await this.sleep(failures > 0 ? Math.min(30_000, this.pollMs * 2 ** failures) : this.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
