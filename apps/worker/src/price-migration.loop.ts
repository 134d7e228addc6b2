import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PriceMigrationRunner } from '@app/subscription';

/**
 * Carries out price migrations continuously (CONTRACT §11), as the meter events' loop sends its outbox: a round as
 * soon as the last one found work, otherwise after PRICE_MIGRATION_POLL_MS (1 s). Replicas run their own loops; the
 * listing takes one migration row at a time (SKIP LOCKED) and the items are claimed under a lease. On shutdown the
 * loop finishes its round; items it had claimed and not recorded come back when their lease expires.
 */
@Injectable()
export class PriceMigrationLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PriceMigrations');
  private readonly pollMs: number;
  private stopping = false;
  private running?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly runner: PriceMigrationRunner,
    config: ConfigService,
  ) {
    this.pollMs = config.get<number>('PRICE_MIGRATION_POLL_MS', 1000);
  }

  onApplicationBootstrap(): void {
    if (!this.runner.configured) return;
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
        found = await this.runner.runRound();
        failures = 0;
      } catch (error) {
        // The database is unreachable: wait longer each time (at most 30 s), never exit.
        failures += 1;
        this.logger.error({ err: error, msg: `price migration round failed: ${(error as Error).message}` });
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
