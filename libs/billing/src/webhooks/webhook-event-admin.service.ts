import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@app/common';
import type { Stripe } from '@app/stripe';
import { DataSource } from 'typeorm';
import { isStripeEvent, StripeWebhookService, type ProcessEventResult } from './stripe-webhook.service.js';
import { WebhookProcessingFailedError } from './webhooks.errors.js';

/** The operators' view of the webhook ledger: recent events, and the replay of a failed or ignored one. */
@Injectable()
export class WebhookEventAdminService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly webhooks: StripeWebhookService,
  ) {}

  /** Recent events, newest first, for operators. */
  async listEvents(filter: { status?: string; type?: string; limit?: number }) {
    const rows = await this.dataSource.query<EventRow[]>(
      `SELECT event_id, type, status, attempts, error, event_created_at, received_at, processed_at
         FROM stripe_webhook_events
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR type = $2)
        ORDER BY received_at DESC, id DESC
        LIMIT $3`,
      [filter.status ?? null, filter.type ?? null, filter.limit ?? 50],
    );
    return rows.map(toEventView);
  }

  /** One Stripe customer's recent events, newest first (the admin's vendor page); by the customer the object names. */
  async listEventsForCustomer(customerId: string, limit = 20) {
    const rows = await this.dataSource.query<EventRow[]>(
      `SELECT event_id, type, status, attempts, error, event_created_at, received_at, processed_at
         FROM stripe_webhook_events
        WHERE (payload -> 'data' -> 'object' ->> 'customer') = $1
        ORDER BY received_at DESC, id DESC
        LIMIT $2`,
      [customerId, limit],
    );
    return rows.map(toEventView);
  }

  /**
   * Processes a stored failed or ignored event again from its stored payload. NOT_FOUND for an unknown id,
   * CONFLICT when it is already processed. Answers the event as it stands afterwards (a failure included).
   */
  async replay(eventId: string) {
    const [row] = await this.dataSource.query<(EventRow & { payload: Stripe.Event | null })[]>(
      `SELECT event_id, status, payload FROM stripe_webhook_events WHERE event_id = $1`,
      [eventId],
    );
    if (!row) throw new NotFoundError('Webhook event');
    if (row.status === 'processed') throw new ConflictError(`Event ${eventId} is already processed.`, { event_id: eventId, status: row.status });
    if (!row.payload || !isStripeEvent(row.payload)) throw new ConflictError(`Event ${eventId} has no stored payload to replay.`, { event_id: eventId });
    let result: ProcessEventResult | undefined;
    try {
      result = await this.webhooks.processEvent(row.payload, { replay: true });
    } catch (error) {
      if (!(error instanceof WebhookProcessingFailedError)) throw error;
    }
    if (result?.outcome === 'duplicate') throw new ConflictError(`Event ${eventId} is already processed.`, { event_id: eventId });
    const [after] = await this.dataSource.query<EventRow[]>(
      `SELECT event_id, type, status, attempts, error, event_created_at, received_at, processed_at FROM stripe_webhook_events WHERE event_id = $1`,
      [eventId],
    );
    return toEventView(after);
  }
}

interface EventRow {
  event_id: string;
  type: string;
  status: string;
  attempts: number;
  error: string | null;
  event_created_at: Date | null;
  received_at: Date;
  processed_at: Date | null;
}

function toEventView(row: EventRow) {
  return {
    event_id: row.event_id,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    error: row.error,
    event_created_at: row.event_created_at,
    received_at: row.received_at,
    processed_at: row.processed_at,
  };
}
