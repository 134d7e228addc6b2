/** The first retry comes after ~30 s; each failure doubles the wait, capped at 6 hours; for 3 days in all. */
export const FIRST_RETRY_MS = 30_000;
export const MAX_RETRY_MS = 6 * 3600_000;
export const RETRY_WINDOW_MS = 3 * 24 * 3600_000;

/**
 * The wait after the `attempts`-th failed attempt: 30 s · 2^(attempts−1), at most 6 h, times a jitter of
 * ±20 % so that many events failing together (a receiver's outage) do not come back in one burst.
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return Math.round(base * (0.8 + 0.4 * random()));
}
