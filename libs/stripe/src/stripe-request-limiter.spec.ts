import { isRateLimited, paginateWithBackoff, StripeRequestLimiter } from './stripe-request-limiter.js';

const rateLimitError = () => Object.assign(new Error('Too many requests'), { statusCode: 429, type: 'StripeRateLimitError' });

describe('StripeRequestLimiter', () => {
  it('spaces requests to the configured rate', async () => {
    const limiter = new StripeRequestLimiter(50);
    const started = Date.now();
    for (let i = 0; i < 6; i++) await limiter.take();
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });
});

describe('paginateWithBackoff', () => {
  const items = Array.from({ length: 7 }, (_, i) => ({ id: `sub_${i}` }));

  it('resumes after a 429 from the last item it yielded, yielding each item once', async () => {
    const calls: (string | undefined)[] = [];
    let failed = false;
    async function* list(after: string | undefined) {
      calls.push(after);
      const from = after ? items.findIndex((i) => i.id === after) + 1 : 0;
      for (let i = from; i < items.length; i++) {
        if (i === 4 && !failed) {
          failed = true;
          throw rateLimitError();
        }
        yield items[i];
      }
    }
    const backoffs: number[] = [];
    const seen = [];
    for await (const item of paginateWithBackoff(list, new StripeRequestLimiter(1000), 3, { baseDelayMs: 5, onBackoff: (_, ms) => backoffs.push(ms) })) seen.push(item.id);

    expect(seen).toEqual(items.map((i) => i.id));
    expect(calls).toEqual([undefined, 'sub_3']);
    expect(backoffs).toEqual([5]);
  });

  it('gives up after its retries and lets other errors through at once', async () => {
    async function* alwaysLimited() {
      yield* [];
      throw rateLimitError();
    }
    const drain = async (it: AsyncIterable<unknown>) => {
      for await (const _ of it) void _;
    };
    await expect(drain(paginateWithBackoff(alwaysLimited, new StripeRequestLimiter(1000), 10, { baseDelayMs: 1, retries: 2 }))).rejects.toThrow('Too many requests');
    async function* broken() {
      yield* [];
      throw new Error('boom');
    }
    await expect(drain(paginateWithBackoff(broken, new StripeRequestLimiter(1000), 10, { baseDelayMs: 1 }))).rejects.toThrow('boom');
    expect(isRateLimited(new Error('x'))).toBe(false);
  });
});
