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
 * A Stripe list, page by page, resumable: `list(after)` asks for the page after the item `after` (the caller may
 * carry more on the page it answers, such as the time it asked). Every request first takes a turn from the
 * limiter; on a 429 it waits (exponential backoff) and asks for the same page again.
 */
export async function* listPagesWithBackoff<P extends { data: { id: string }[]; has_more: boolean }>(
  list: (startingAfter: string | undefined) => Promise<P>,
  limiter: StripeRequestLimiter,
  options: BackoffOptions = {},
): AsyncGenerator<P> {
  const retries = options.retries ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  let after: string | undefined;
  let attempt = 0;
  for (;;) {
    let page: P;
    try {
      await limiter.take();
      page = await list(after);
    } catch (error) {
      if (!isRateLimited(error) || attempt >= retries) throw error;
      const delay = baseDelayMs * 2 ** attempt++;
      options.onBackoff?.(attempt, delay);
      await sleep(delay);
      continue;
    }
    attempt = 0;
    if (page.data.length > 0) yield page;
    if (!page.has_more || page.data.length === 0) return;
    after = page.data[page.data.length - 1].id;
  }
}

/**
 * Asks `source` for its next value as soon as it hands one out, so the next page's request (and its wait for the
 * limiter) runs while the caller works on this one. Holds at most one value ahead.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = it.next();
      // Awaited on the next turn; until then a failure must not count as unhandled.
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    await it.return?.();
  }
}
