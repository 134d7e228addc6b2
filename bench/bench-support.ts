import type { ChildProcess } from 'node:child_process';

/** What the benchmarks share: stopping their child processes, and measuring two servers in alternating turns. */

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  // Gone already: exited (exitCode) or killed by a signal (signalCode, exitCode stays null); 'exit' will not come again.
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * The order of the servers in turn `round`: A B, then B A, then A B… (ABBA), so a slower or faster stretch of a
 * shared machine falls on both alike instead of on whichever happened to run then.
 */
export function turnOrder<T>(round: number, targets: readonly T[]): readonly T[] {
  return round % 2 === 0 ? targets : [...targets].reverse();
}

/** What summarizeTurns reads of one turn (an autocannon result). */
export interface Turn {
  requests: { total: number };
  /** Seconds the turn took. */
  duration: number;
  latency: { p50: number; p99: number; max: number };
}

/**
 * One server's turns as one figure: requests over seconds (autocannon's per-second average counts a short turn's
 * last, partial second as a whole one), the median turn's p50, the worst turn's p99 and max, and each turn's rate.
 */
export function summarizeTurns(turns: Turn[]): { total: number; seconds: number; rate: number; perTurn: number[]; p50: number; p99: number; max: number } {
  const total = turns.reduce((n, t) => n + t.requests.total, 0);
  const seconds = turns.reduce((n, t) => n + t.duration, 0);
  const p50s = turns.map((t) => t.latency.p50).sort((a, b) => a - b);
  const mid = p50s.length >> 1;
  return {
    total, seconds, rate: total / seconds,
    perTurn: turns.map((t) => t.requests.total / t.duration),
    p50: p50s.length % 2 ? p50s[mid] : (p50s[mid - 1] + p50s[mid]) / 2,
    p99: Math.max(...turns.map((t) => t.latency.p99)),
    max: Math.max(...turns.map((t) => t.latency.max)),
  };
}
