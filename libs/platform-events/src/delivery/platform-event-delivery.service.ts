import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { queryRows } from '@app/database';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import type { PlatformEventBody } from '../platform-event.types.js';
import { recordDeliveryStatsSql, latencyBucketIncrements } from '../metrics/platform-event-stats.js';
import { standardWebhookHeaders } from './platform-event-signature.js';
import { retryDelayMs } from './retry-schedule.js';
import { redactTarget, webhookTarget, type WebhookTarget } from './webhook-target.js';

/** How long a claimed event stays with the worker that claimed it beyond its request timeout. */
const LEASE_MARGIN_MS = 5_000;
const MAX_ERROR_LENGTH = 500;

/**
 * Takes the due events of at most one per vendor — its oldest pending one, so a vendor's events go out in
 * order and never two at once — locking with SKIP LOCKED so replicas share the work, and leases them.
 */
const CLAIM_SQL = `WITH due AS (
    SELECT e.id FROM platform_events e
     WHERE e.status = 'pending' AND e.next_attempt_at <= $1 AND (e.leased_until IS NULL OR e.leased_until <= $1)
       AND NOT EXISTS (SELECT 1 FROM platform_events p WHERE p.vendor_id = e.vendor_id AND p.status = 'pending' AND p.id < e.id)
     ORDER BY e.id
     LIMIT $3
     FOR UPDATE SKIP LOCKED)
  UPDATE platform_events e SET leased_until = $2, attempts = e.attempts + 1
    FROM due WHERE e.id = due.id
  RETURNING e.id::text AS id, e.public_id, e.type, e.vendor_id, e.data, e.created_at, e.attempts, e.retry_until`;

/**
 * Records what each POST did, only where the lease is still this worker's (same attempt number, still pending):
 * a worker that outlived its lease cannot overwrite what another one recorded.
 */
const RECORD_SQL = `UPDATE platform_events e SET
    status = r.outcome,
    delivered_at = CASE WHEN r.outcome = 'delivered' THEN $6::timestamptz ELSE e.delivered_at END,
    next_attempt_at = COALESCE(r.next_attempt_at, e.next_attempt_at),
    leased_until = NULL,
    last_error = CASE WHEN r.outcome = 'delivered' THEN e.last_error ELSE r.error END
  FROM unnest($1::bigint[], $2::int[], $3::text[], $4::timestamptz[], $5::text[]) AS r(id, attempts, outcome, next_attempt_at, error)
  WHERE e.id = r.id AND e.attempts = r.attempts AND e.status = 'pending'
  RETURNING e.id::text AS id`;

interface ClaimedEvent {
  id: string;
  public_id: string;
  type: string;
  vendor_id: number;
  data: Record<string, unknown>;
  created_at: Date;
  attempts: number;
  retry_until: Date;
}

interface AttemptResult {
  event: ClaimedEvent;
  ok: boolean;
  error: string | null;
}

/**
 * Delivery of the outbox to PLATFORM_WEBHOOK_URL: claim due events in a short transaction, POST them with no
 * database connection held (a slow receiver costs no connection), then record every result in one statement.
 * Nothing here is session state, so it runs the same through a transaction-mode pooler and on any number of
 * worker replicas. A worker killed mid-POST leaves its events pending under a lease that expires, and the next
 * round sends them again with the same id (the receiver drops the duplicate).
 */
@Injectable()
export class PlatformEventDeliveryService {
  private readonly logger = new Logger('PlatformEvents');
  private readonly target: WebhookTarget | undefined;
  private readonly webhook: Webhook | undefined;
  readonly timeoutMs: number;
  readonly batchSize: number;

  constructor(
    config: ConfigService,
    private readonly clock: Clock,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    const url = config.get<string>('PLATFORM_WEBHOOK_URL') || undefined;
    // Start-up validated both: a URL comes with a Standard Webhooks secret.
    this.target = url ? webhookTarget(url) : undefined;
    this.webhook = url ? new Webhook(config.get<string>('PLATFORM_WEBHOOK_SECRET')!) : undefined;
    this.timeoutMs = config.get<number>('PLATFORM_WEBHOOK_TIMEOUT_MS', 10_000);
    this.batchSize = config.get<number>('PLATFORM_EVENTS_BATCH_SIZE', 100);
  }

  /** Without a URL, events are written and kept, never sent. */
  get configured(): boolean {
    return this.target !== undefined;
  }

  /** One round: answers how many events it attempted (0: nothing was due). */
  async deliverDue(): Promise<number> {
    if (!this.target) return 0;
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + this.timeoutMs + LEASE_MARGIN_MS);
    const claimed = await queryRows<ClaimedEvent>(this.dataSource.manager, CLAIM_SQL, [now, leaseUntil, this.batchSize]);
    if (claimed.length === 0) return 0;
    const results = await Promise.all(claimed.map((event) => this.post(event)));
    await this.record(results);
    return claimed.length;
  }

  private async post(event: ClaimedEvent): Promise<AttemptResult> {
    const body: PlatformEventBody = {
      id: event.public_id,
      type: event.type,
      created_at: new Date(event.created_at).toISOString(),
      vendor_id: event.vendor_id,
      data: event.data,
    };
    const text = JSON.stringify(body);
    const target = this.target!;
    // Each attempt signed at its own wall time, not the Clock's: the receiver compares it with its own clock
    // (Standard Webhooks libraries refuse more than 300 s apart).
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'vendor-billing-platform-events/1',
      ...standardWebhookHeaders(this.webhook!, body.id, text, new Date()),
    };
    if (target.authorization) headers.authorization = target.authorization;
    try {
      const res = await fetch(target.url, { method: 'POST', body: text, headers, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { event, ok: true, error: null };
      return { event, ok: false, error: `HTTP ${res.status}` };
    } catch (error) {
      return { event, ok: false, error: describeFailure(error, this.timeoutMs, target) };
    }
  }

  private async record(results: AttemptResult[]): Promise<void> {
    const now = this.clock.now();
    const outcomes = results.map(({ event, ok }) => (ok ? 'delivered' : now >= new Date(event.retry_until) ? 'failed' : 'pending'));
    const nextAttempts = results.map(({ event, ok }, i) => (ok || outcomes[i] === 'failed' ? null : new Date(now.getTime() + retryDelayMs(event.attempts))));
    await this.dataSource.transaction(async (manager) => {
      const recorded = await queryRows<{ id: string }>(manager, RECORD_SQL, [
        results.map((r) => r.event.id),
        results.map((r) => r.event.attempts),
        outcomes,
        nextAttempts,
        results.map((r) => r.error?.slice(0, MAX_ERROR_LENGTH) ?? null),
        now,
      ]);
      const mine = new Set(recorded.map((r) => r.id));
      const deliveredNow = results.filter((r) => r.ok && mine.has(r.event.id));
      // Commit (created_at) to delivery, for the latency histogram of /metrics.
      const latencies = deliveredNow.map((r) => Math.max(0, now.getTime() - new Date(r.event.created_at).getTime()) / 1000);
      const failedAttempts = results.filter((r) => !r.ok).length;
      const givenUp = outcomes.filter((o, i) => o === 'failed' && mine.has(results[i].event.id)).length;
      await manager.query(recordDeliveryStatsSql, [deliveredNow.length, failedAttempts, givenUp, latencyBucketIncrements(latencies), latencies.reduce((a, b) => a + b, 0)]);
    });
    for (const [i, r] of results.entries()) {
      if (outcomes[i] === 'failed') this.logger.warn({ event_id: r.event.public_id, type: r.event.type, attempts: r.event.attempts, msg: `platform event ${r.event.public_id} failed for good: ${r.error}` });
    }
  }
}

/**
 * A short reason for the admin list and the log, redacted: a cause's message may quote the URL, and neither its
 * credentials nor its query string may be stored or shown.
 */
function describeFailure(error: unknown, timeoutMs: number, target: WebhookTarget): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
  return `unreachable: ${redactTarget(cause, target)}`;
}
