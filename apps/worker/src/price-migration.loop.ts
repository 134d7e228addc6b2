import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PriceMigrationRunner } from '@app/subscription';
import { PollingLoop } from './polling-loop.js';

/**
 * Carries out price migrations continuously (CONTRACT §11), as the meter events' loop sends its outbox: a round as
 * soon as the last one found work, otherwise after PRICE_MIGRATION_POLL_MS (1 s). Replicas run their own loops; the
 * listing takes one migration row at a time (SKIP LOCKED) and the items are claimed under a lease. On shutdown the
 * loop finishes its round; items it had claimed and not recorded come back when their lease expires.
 */
@Injectable()
export class PriceMigrationLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PollingLoop;

  constructor(
    private readonly runner: PriceMigrationRunner,
    config: ConfigService,
  ) {
    this.loop = new PollingLoop('price migration', () => runner.runRound(), config.get<number>('PRICE_MIGRATION_POLL_MS', 1000), new Logger('PriceMigrations'));
  }

  onApplicationBootstrap(): void {
    if (this.runner.configured) this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
