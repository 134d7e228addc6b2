import type { Logger } from '@nestjs/common';

/**
 * The worker's continuous loops (platform events, meter events, price migrations): a round as soon as the last one
 * found work, otherwise after `pollMs`; a round that fails (the database unreachable or restarting) waits longer
 * each time, at most 30 s, and the loop never exits. `stop` wakes a waiting loop and resolves once the round in
 * progress has finished, so a shutdown lets it end before the pool closes.
 */
export class PollingLoop {
  private stopping = false;
  private running?: Promise<void>;
  private wake?: () => void;

  /** `round` answers how much it found (0: nothing to do); `what` names it in the log. */
  constructor(
    private readonly what: string,
    private readonly round: () => Promise<number>,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let found = 0;
      try {
        found = await this.round();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.logger.error({ err: error, msg: `${this.what} round failed: ${(error as Error).message}` });
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
