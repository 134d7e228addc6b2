import { isRateLimited, listPagesWithBackoff, readAhead, StripeRequestLimiter } from './stripe-request-limiter.js';

const rateLimitError = () => Object.assign(new Error('Too many requests'), { statusCode: 429, type: 'StripeRateLimitError' });

describe('StripeRequestLimiter', () => {
  it('spaces requests to the configured rate', async () => {
    const limiter = new StripeRequestLimiter(50);
    const started = Date.now();
    for (let i = 0; i < 6; i++) await limiter.take();
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });
});

describe('listPagesWithBackoff', () => {
  const items = Array.from({ length: 7 }, (_, i) => ({ id: `sub_${i}` }));
  /** Pages of 3 after `after`; the calls it answered with a 429 first, by `after`. */
  function lister(limitedOnce: (string | undefined)[] = []) {
    const calls: (string | undefined)[] = [];
    const list = async (after: string | undefined) => {
      calls.push(after);
      const i = limitedOnce.indexOf(after);
      if (i >= 0) {
        limitedOnce.splice(i, 1);
        throw rateLimitError();
      }
      const from = after ? items.findIndex((x) => x.id === after) + 1 : 0;
      return { data: items.slice(from, from + 3), has_more: from + 3 < items.length, asked: calls.length };
    };
    return { list, calls };
  }
  const drain = async <T>(it: AsyncIterable<T>) => {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  };

  it('asks for each page after the last item of the one before, and again for the same page after a 429', async () => {
    const { list, calls } = lister(['sub_2']);
    const backoffs: number[] = [];
    const pages = await drain(listPagesWithBackoff(list, new StripeRequestLimiter(1000), { baseDelayMs: 5, onBackoff: (_, ms) => backoffs.push(ms) }));

    expect(pages.map((p) => p.data.map((x) => x.id))).toEqual([['sub_0', 'sub_1', 'sub_2'], ['sub_3', 'sub_4', 'sub_5'], ['sub_6']]);
    expect(pages.map((p) => p.asked)).toEqual([1, 3, 4]);
    expect(calls).toEqual([undefined, 'sub_2', 'sub_2', 'sub_5']);
    expect(backoffs).toEqual([5]);
  });

  it('gives up after its retries and lets other errors through at once', async () => {
    const alwaysLimited = async () => {
      throw rateLimitError();
    };
    await expect(drain(listPagesWithBackoff(alwaysLimited, new StripeRequestLimiter(1000), { baseDelayMs: 1, retries: 2 }))).rejects.toThrow('Too many requests');
    const broken = async () => {
      throw new Error('boom');
    };
    await expect(drain(listPagesWithBackoff(broken, new StripeRequestLimiter(1000), { baseDelayMs: 1 }))).rejects.toThrow('boom');
    expect(isRateLimited(new Error('x'))).toBe(false);
  });
});

describe('readAhead', () => {
  it('asks for the next value while the caller works on the one it has, and hands out each once, in order', async () => {
    const asked: number[] = [];
    async function* source() {
      for (let i = 0; i < 3; i++) {
        asked.push(i);
        yield i;
      }
    }
    const seen: [number, number[]][] = [];
    for await (const v of readAhead(source())) {
      await new Promise((ok) => setTimeout(ok, 5));
      seen.push([v, [...asked]]);
    }
    expect(seen).toEqual([[0, [0, 1]], [1, [0, 1, 2]], [2, [0, 1, 2]]]);
  });

  it('passes on a failure of the value ahead when the caller gets to it', async () => {
    async function* source() {
      yield 1;
      throw new Error('page 2 failed');
    }
    const seen: number[] = [];
    await expect((async () => {
      for await (const v of readAhead(source())) {
        await new Promise((ok) => setTimeout(ok, 5));
        seen.push(v);
      }
    })()).rejects.toThrow('page 2 failed');
    expect(seen).toEqual([1]);
  });
});
