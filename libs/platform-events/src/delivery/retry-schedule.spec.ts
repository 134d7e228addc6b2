import { FIRST_RETRY_MS, MAX_RETRY_MS, retryDelayMs } from './retry-schedule.js';
import { signPlatformEvent, verifyPlatformSignature } from './platform-event-signature.js';

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

describe('platform event signatures', () => {
  const body = '{"id":"e1","type":"trial.ending"}';

  it('verifies its own signature and refuses a changed body, another secret or a stale time', () => {
    const header = signPlatformEvent(body, 'secret-a', 1_000_000);
    expect(verifyPlatformSignature(body, header, 'secret-a', 1_000_100)).toBe(true);
    expect(verifyPlatformSignature(body.replace('e1', 'e2'), header, 'secret-a', 1_000_100)).toBe(false);
    expect(verifyPlatformSignature(body, header, 'secret-b', 1_000_100)).toBe(false);
    expect(verifyPlatformSignature(body, header, 'secret-a', 1_000_301)).toBe(false);
    expect(verifyPlatformSignature(body, undefined, 'secret-a', 1_000_000)).toBe(false);
  });
});
