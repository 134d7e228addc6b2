/** Upper bounds (seconds) of the delivery latency histogram; the stats row keeps one count per bound plus +Inf. */
export const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60] as const;

/** Per-bucket (not cumulative) increments for a batch of latencies, +Inf last. */
export function latencyBucketIncrements(latenciesSeconds: number[]): number[] {
  const counts = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  for (const s of latenciesSeconds) {
    const i = LATENCY_BUCKETS.findIndex((b) => s <= b);
    counts[i === -1 ? LATENCY_BUCKETS.length : i] += 1;
  }
  return counts;
}

/** $1 delivered, $2 failed attempts, $3 given up, $4 bucket increments, $5 latency sum: one row, added to per batch. */
export const recordDeliveryStatsSql = `UPDATE platform_event_delivery_stats SET
    delivered = delivered + $1, failed_attempts = failed_attempts + $2, given_up = given_up + $3,
    latency_buckets = (SELECT array_agg(a + b ORDER BY i) FROM unnest(latency_buckets, $4::bigint[]) WITH ORDINALITY AS x(a, b, i)),
    latency_sum_seconds = latency_sum_seconds + $5
  WHERE id = 1`;
