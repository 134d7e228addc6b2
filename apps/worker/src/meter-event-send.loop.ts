import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { MeterEventSenderService } from '@app/subscription';

/**
 * Sends overage meter events to Stripe continuously (CONTRACT §12), as the platform events' loop delivers its
 * outbox: a round as soon as the last one found work, otherwise after METER_EVENTS_POLL_MS (1 s). Replicas run
 * their own loops; SKIP LOCKED and the lease share the rows. On shutdown the loop finishes its round.
 */
@Injectable()
export class MeterEventSendLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MeterEvents');
  private readonly pollMs: number;
  private stopping = false;
  private running?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly sender: MeterEventSenderService,
    config: ConfigService,
  ) {
    this.pollMs = config.get<number>('METER_EVENTS_POLL_MS', 1000);
  }

  onApplicationBootstrap(): void {
    if (!this.sender.configured) return;
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
        found = await this.sender.sendDue();
        failures = 0;
      } catch (error) {
        // The database is unreachable: wait longer each time (at most 30 s), never exit.
        failures += 1;
        this.logger.error({ err: error, msg: `meter event round failed: ${(error as Error).message}` });
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
