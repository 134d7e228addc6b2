import { FIRST_RETRY_MS, MAX_RETRY_MS, retryDelayMs } from './retry-schedule.js';

describe('retryDelayMs', () => {
  it('doubles from 30 s per failure and stops growing at 6 hours', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, mid))).toEqual([FIRST_RETRY_MS, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(11, mid)).toBe(MAX_RETRY_MS);
    expect(retryDelayMs(500, mid)).toBe(MAX_RETRY_MS);
  });

  it('jitters within ±20 %', () => {
    expect(retryDelayMs(1, () => 0)).toBe(24_000);
    expect(retryDelayMs(1, () => 1)).toBe(36_000);
  });
});
