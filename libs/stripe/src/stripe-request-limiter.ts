const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

/** Spaces requests evenly so they stay under `perSecond` (Stripe's default limit is 100/s live, 25/s test). */
export class StripeRequestLimiter {
  private nextAt = 0;

  constructor(private readonly perSecond: number) {}

  /** Waits for this request's turn. */
  async take(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / this.perSecond;
    if (at > now) await sleep(at - now);
  }
}

export function isRateLimited(error: unknown): boolean {
  const e = error as { statusCode?: unknown; type?: unknown } | null;
  return typeof e === 'object' && e !== null && (e.statusCode === 429 || e.type === 'StripeRateLimitError');
}

export interface BackoffOptions {
  /** Retries after the first 429 (default 5). */
  retries?: number;
  /** First wait; doubled on each further 429 (default 1000 ms). */
  baseDelayMs?: number;
  onBackoff?: (attempt: number, delayMs: number) => void;
}

/**
 * Stripe's auto-pagination, resumable: the SDK's iterator dies with its first failed page, so on a 429 this
 * waits (exponential backoff) and lists again `starting_after` the last item it yielded. Every page request
 * first takes a turn from the limiter.
 */
export async function* paginateWithBackoff<T extends { id: string }>(
  list: (startingAfter: string | undefined) => AsyncIterable<T>,
  limiter: StripeRequestLimiter,
  pageSize: number,
  options: BackoffOptions = {},
): AsyncGenerator<T> {
  const retries = options.retries ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  let after: string | undefined;
  let attempt = 0;
  for (;;) {
    try {
      await limiter.take();
      let inPage = 0;
      for await (const item of list(after)) {
        after = item.id;
        attempt = 0;
        yield item;
        // The iterator fetches the next page when this one is used up: that request waits its turn too.
        if (++inPage % pageSize === 0) await limiter.take();
      }
      return;
    } catch (error) {
      if (!isRateLimited(error) || attempt >= retries) throw error;
      const delay = baseDelayMs * 2 ** attempt++;
      options.onBackoff?.(attempt, delay);
      await sleep(delay);
    }
  }
}
