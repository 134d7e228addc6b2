import { Injectable } from '@nestjs/common';

/** The one source of "now", so tests can move time (trial ends, periods roll over) without sleeping. */
@Injectable()
export class Clock {
  private offsetMs = 0;
  private fixed?: Date;

  now(): Date {
    return this.fixed ? new Date(this.fixed) : new Date(Date.now() + this.offsetMs);
  }

  /** Tests only: pin the clock to an instant. */
  set(instant: Date): void {
    this.fixed = new Date(instant);
  }

  /** Tests only: move the clock forward. */
  advance(ms: number): void {
    if (this.fixed) this.fixed = new Date(this.fixed.getTime() + ms);
    else this.offsetMs += ms;
  }

  reset(): void {
    this.fixed = undefined;
    this.offsetMs = 0;
  }
}
