import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { register, type Metric } from 'prom-client';
import { DataSource } from 'typeorm';
import { LATENCY_BUCKETS } from './platform-event-stats.js';

interface Snapshot {
  written: number;
  pending: number;
  oldest_pending_seconds: number | null;
  delivered: number;
  failed_attempts: number;
  given_up: number;
  latency_buckets: Array<string | number>;
  latency_sum_seconds: number;
}

type Values = Array<{ value: number; labels?: Record<string, string | number>; metricName?: string }>;

// Events are written by database transactions (a trigger among them) and delivered by worker processes, which
// have no HTTP: the numbers come from the database at scrape time, so any API replica shows every worker's work.
const SNAPSHOT_SQL = `SELECT
    (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM platform_events_id_seq)::float8 AS written,
    (SELECT count(*) FROM platform_events WHERE status = 'pending')::float8 AS pending,
    (SELECT extract(epoch FROM now() - created_at) FROM platform_events WHERE status = 'pending' ORDER BY id LIMIT 1)::float8 AS oldest_pending_seconds,
    s.delivered::float8 AS delivered, s.failed_attempts::float8 AS failed_attempts, s.given_up::float8 AS given_up,
    s.latency_buckets, s.latency_sum_seconds
  FROM platform_event_delivery_stats s WHERE s.id = 1`;

let source: DataSource | undefined;
let cached: { at: number; snapshot: Promise<Snapshot | undefined> } | undefined;

function snapshot(): Promise<Snapshot | undefined> {
  // One query per scrape however many of these metrics read it.
  if (cached && Date.now() - cached.at < 500) return cached.snapshot;
  const ds = source;
  const promise = ds?.isInitialized ? ds.query<Snapshot[]>(SNAPSHOT_SQL).then((rows) => rows[0]).catch(() => undefined) : Promise.resolve(undefined);
  cached = { at: Date.now(), snapshot: promise };
  return promise;
}

function metric(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: (s: Snapshot) => Values): void {
  if (register.getSingleMetric(name)) return;
  const m = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => {
      const s = await snapshot();
      return { name, help, type, aggregator: 'sum', values: s ? values(s) : [] };
    },
  };
  register.registerMetric(m as unknown as Metric);
}

function latencyValues(s: Snapshot): Values {
  let cumulative = 0;
  const counts = s.latency_buckets.map(Number);
  const values: Values = LATENCY_BUCKETS.map((le, i) => {
    cumulative += counts[i] ?? 0;
    return { metricName: 'platform_event_delivery_latency_seconds_bucket', labels: { le }, value: cumulative };
  });
  cumulative += counts[LATENCY_BUCKETS.length] ?? 0;
  values.push({ metricName: 'platform_event_delivery_latency_seconds_bucket', labels: { le: '+Inf' }, value: cumulative });
  values.push({ metricName: 'platform_event_delivery_latency_seconds_sum', value: s.latency_sum_seconds });
  values.push({ metricName: 'platform_event_delivery_latency_seconds_count', value: cumulative });
  return values;
}

/** Registers the platform event metrics on prom-client's default registry (GET /metrics), read from the database. */
@Injectable()
export class PlatformEventMetrics implements OnModuleInit, OnModuleDestroy {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    source = this.dataSource;
    cached = undefined;
    metric('platform_events_written_total', 'Platform events written to the outbox (ids taken).', 'counter', (s) => [{ value: s.written }]);
    metric('platform_events_delivered_total', 'Platform events the receiver accepted (2xx).', 'counter', (s) => [{ value: s.delivered }]);
    metric('platform_event_delivery_failures_total', 'Delivery attempts that got a non-2xx answer, a timeout or no connection.', 'counter', (s) => [{ value: s.failed_attempts }]);
    metric('platform_events_failed_total', 'Platform events given up after 3 days of retries (status failed).', 'counter', (s) => [{ value: s.given_up }]);
    metric('platform_events_pending', 'Platform events waiting for delivery.', 'gauge', (s) => [{ value: s.pending }]);
    metric('platform_events_oldest_pending_seconds', 'Age of the oldest undelivered platform event.', 'gauge', (s) => [{ value: s.oldest_pending_seconds ?? 0 }]);
    metric('platform_event_delivery_latency_seconds', 'From the commit that wrote an event to its accepted delivery.', 'histogram', latencyValues);
  }

  onModuleDestroy(): void {
    if (source === this.dataSource) source = undefined;
    cached = undefined;
  }
}
