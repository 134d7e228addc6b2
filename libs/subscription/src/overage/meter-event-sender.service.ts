import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { queryRows } from '@app/database';
import { StripeRequestLimiter, StripeService } from '@app/stripe';
import { DataSource } from 'typeorm';

/** The Billing Meter's event name: stripe:sync-catalog creates the meter with it; every overage order is one event. */
export const OVERAGE_METER_EVENT_NAME = 'vendor_billing_overage_orders';

/** How long a claimed row stays with its worker beyond the Stripe timeout (a dead worker's rows come back after it). */
const LEASE_MARGIN_MS = 10_000;
/** Stripe takes an event's timestamp up to 35 days back; past 30 days a row is given up (failed, for an admin). */
const GIVE_UP_AFTER_MS = 30 * 86_400_000;
const MAX_BACKOFF_MS = 3_600_000;
const MAX_ERROR_LENGTH = 500;

/**
 * Takes due rows, oldest first, with SKIP LOCKED so replicas share them, and leases them (one short statement, the
 * row locks end with it): no row lock or connection is held while Stripe is called.
 */
const CLAIM_SQL = `WITH due AS (
    SELECT e.id FROM stripe_meter_events e
     WHERE e.status = 'pending' AND e.next_attempt_at <= $1 AND (e.leased_until IS NULL OR e.leased_until <= $1)
     ORDER BY e.id LIMIT $3
     FOR UPDATE SKIP LOCKED)
  UPDATE stripe_meter_events e SET leased_until = $2, attempts = e.attempts + 1
    FROM due WHERE e.id = due.id
  RETURNING e.id::text AS id, e.identifier, e.value, e.occurred_at, e.attempts,
            (SELECT s.stripe_customer_id FROM vendor_subscriptions s WHERE s.vendor_id = e.vendor_id) AS customer_id`;

/**
 * Records one answer, only while the lease is this attempt's (same attempt number, still pending): a worker that
 * outlived its lease cannot overwrite what another recorded.
 */
const RECORD_SQL = `UPDATE stripe_meter_events SET status = $3::varchar, leased_until = NULL, last_error = $4::text, stripe_response = COALESCE($5::jsonb, stripe_response),
    sent_at = CASE WHEN $3::varchar = 'sent' THEN $6::timestamptz ELSE sent_at END, next_attempt_at = COALESCE($7::timestamptz, next_attempt_at)
  WHERE id = $1::bigint AND attempts = $2::int AND status = 'pending'`;

interface ClaimedRow {
  id: string;
  identifier: string;
  value: number;
  occurred_at: Date;
  attempts: number;
  customer_id: string | null;
}

interface Outcome {
  status: 'sent' | 'pending' | 'failed';
  error: string | null;
  response: unknown;
}

/**
 * Sends the meter-event outbox to Stripe (CONTRACT §12): each overage order once. Rows are claimed under a lease in
 * one statement, sent one by one at STRIPE_MAX_REQUESTS_PER_SECOND with no connection held, and each answer is
 * recorded in another statement. A crash or timeout after Stripe accepted an event leaves the row pending; its lease
 * expires and it is sent again with the same `identifier`, which Stripe refuses as a duplicate within 24 hours —
 * recorded as sent. Failures back off (2^attempts seconds, at most an hour) and are retried for 30 days.
 */
@Injectable()
export class MeterEventSenderService {
  private readonly logger = new Logger('MeterEvents');
  private readonly limiter: StripeRequestLimiter;
  private readonly leaseMs: number;
  readonly batchSize: number;

  constructor(
    config: ConfigService,
    private readonly clock: Clock,
    private readonly stripe: StripeService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.limiter = new StripeRequestLimiter(config.get<number>('STRIPE_MAX_REQUESTS_PER_SECOND', 20));
    // The SDK's own retries (STRIPE_MAX_NETWORK_RETRIES) all fit inside the lease.
    this.leaseMs = (config.get<number>('STRIPE_TIMEOUT_MS') ?? 20_000) * ((config.get<number>('STRIPE_MAX_NETWORK_RETRIES') ?? 2) + 1) + LEASE_MARGIN_MS;
    this.batchSize = config.get<number>('METER_EVENTS_BATCH_SIZE', 50);
  }

  get configured(): boolean {
    return this.stripe.isConfigured;
  }

  /** One round: answers how many rows it attempted (0: nothing was due). */
  async sendDue(): Promise<number> {
    if (!this.stripe.isConfigured) return 0;
    const now = this.clock.now();
    const claimed = await queryRows<ClaimedRow>(this.dataSource.manager, CLAIM_SQL, [now, new Date(now.getTime() + this.leaseMs), this.batchSize]);
    for (const row of claimed) {
      const outcome = await this.send(row);
      const next = outcome.status === 'pending' ? new Date(this.clock.now().getTime() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(row.attempts, 20))) : null;
      await this.dataSource.query(RECORD_SQL, [row.id, row.attempts, outcome.status, outcome.error?.slice(0, MAX_ERROR_LENGTH) ?? null,
        outcome.response === undefined ? null : JSON.stringify(outcome.response), this.clock.now(), next]);
      if (outcome.status === 'failed') this.logger.warn({ identifier: row.identifier, attempts: row.attempts, msg: `meter event ${row.identifier} given up: ${outcome.error}` });
    }
    return claimed.length;
  }

  private async send(row: ClaimedRow): Promise<Outcome> {
    const tooOld = this.clock.now().getTime() - new Date(row.occurred_at).getTime() > GIVE_UP_AFTER_MS;
    if (!row.customer_id) return { status: tooOld ? 'failed' : 'pending', error: 'the vendor has no Stripe customer', response: undefined };
    await this.limiter.take();
    try {
      const event = await this.stripe.client.billing.meterEvents.create({
        event_name: OVERAGE_METER_EVENT_NAME,
        identifier: row.identifier,
        timestamp: Math.floor(new Date(row.occurred_at).getTime() / 1000),
        payload: { stripe_customer_id: row.customer_id, value: String(row.value) },
      });
      return { status: 'sent', error: null, response: event };
    } catch (error) {
      const e = error as { statusCode?: number; code?: string; type?: string; message?: string; requestId?: string };
      const answer = { status: e.statusCode ?? null, type: e.type ?? null, code: e.code ?? null, message: e.message ?? String(error), request_id: e.requestId ?? null };
      // Stripe already counted this identifier (an earlier attempt got through): this order is billed.
      if (e.code === 'duplicate_meter_event') return { status: 'sent', error: null, response: { duplicate: true, ...answer } };
      return { status: tooOld ? 'failed' : 'pending', error: `${answer.status ?? 'network'} ${answer.code ?? answer.type ?? ''}: ${answer.message}`, response: { error: answer } };
    }
  }
}
