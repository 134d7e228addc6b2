import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '@app/common';
import { queryRows, queryPrepared } from '@app/database';
import { StripeService, type Stripe } from '@app/stripe';
import { DataSource, type EntityManager } from 'typeorm';
import { InvoiceEventHandlers, invoiceOutcome, invoiceStatement, type InvoiceStatementResult } from './invoice-event.handlers.js';
import { SqlParams } from './stripe-mapping.js';
import { DEAD_STRIPE_STATUSES, vendorRowOfSubscription, vendorSubscriptionSet } from './vendor-subscription.sql.js';
import { SubscriptionEventHandlers } from './subscription-event.handlers.js';
import { ignored, type HandlerOutcome } from './webhook-handler.types.js';
import { metricType, webhookEventsTotal, webhookProcessingSeconds } from './webhook.metrics.js';
import { InvalidWebhookError, WebhookProcessingFailedError, WebhookSecretNotConfiguredError } from './webhooks.errors.js';

export type ProcessEventOutcome = 'processed' | 'ignored' | 'needs_attention' | 'duplicate';

export interface ProcessEventResult {
  eventId: string;
  outcome: ProcessEventOutcome;
  note?: string;
}

export interface ProcessEventOptions {
  /** An admin's replay: an `ignored` or `needs_attention` event is processed again (a normal delivery treats it as done). */
  replay?: boolean;
  /** The event's JSON as received, stored as the payload instead of serializing the event again. */
  rawPayload?: string;
}

type Claim = 'claimed' | 'done';

/** Ledger states a normal delivery treats as done (an admin's replay processes ignored and needs_attention again). */
const FINAL_STATUSES: ReadonlySet<string> = new Set(['processed', 'ignored', 'needs_attention']);

/**
 * The one path every Stripe event takes — the HTTP endpoint, the admin replay and the worker's recovery of missed
 * events: in one transaction, claim the event id in `stripe_webhook_events`, apply its effect on the same
 * EntityManager, mark it. Concurrent deliveries of one event serialize on its row: the second sees it done. A
 * failure rolls the effect back and records the event as failed in a statement of its own, then throws (500).
 */
@Injectable()
export class StripeWebhookService {
  private readonly logger = new Logger(StripeWebhookService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly stripe: StripeService,
    private readonly config: ConfigService,
    private readonly clock: Clock,
    private readonly subscriptions: SubscriptionEventHandlers,
    private readonly invoices: InvoiceEventHandlers,
  ) {}

  /** A delivery from Stripe: verified on the raw body before anything is parsed or written, then processed. */
  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<ProcessEventResult> {
    if (!this.config.get<string>('STRIPE_WEBHOOK_SECRET')) throw new WebhookSecretNotConfiguredError();
    if (!signature) throw this.invalid('stripe-signature', 'The Stripe-Signature header is missing.');
    const event = this.stripe.verifyWebhook(rawBody, signature);
    if (!event) throw this.invalid('stripe-signature', 'The Stripe-Signature does not match the body, or is older than 300 seconds.');
    if (!isStripeEvent(event)) throw this.invalid('body', 'The body is not a Stripe event.');
    return this.processEvent(event, { rawPayload: rawBody?.toString('utf8') });
  }

  async processEvent(event: Stripe.Event, opts: ProcessEventOptions = {}): Promise<ProcessEventResult> {
    const type = metricType(event.type);
    const stopTimer = webhookProcessingSeconds.startTimer({ type });
    try {
      const result =
        (!opts.replay && (await this.tryOneStatement(event, opts.rawPayload))) ||
        (await this.dataSource.transaction(async (manager): Promise<ProcessEventResult> => {
        if ((await this.claim(manager, event, opts.replay === true, opts.rawPayload)) === 'done') return { eventId: event.id, outcome: 'duplicate' };
        const outcome = await this.apply(manager, event);
        if (outcome.note || outcome.status !== 'processed') {
          await manager.query(`UPDATE stripe_webhook_events SET status = $2, error = $3 WHERE event_id = $1`, [event.id, outcome.status, outcome.note ?? null]);
        }
        return { eventId: event.id, outcome: outcome.status, ...(outcome.note && { note: outcome.note }) };
      }));
      webhookEventsTotal.inc({ type, outcome: result.outcome });
      stopTimer({ outcome: result.outcome });
      if (result.outcome !== 'duplicate') this.logger.log({ event_id: event.id, type: event.type, outcome: result.outcome, note: result.note, msg: 'Stripe event handled' });
      return result;
    } catch (error) {
      webhookEventsTotal.inc({ type, outcome: 'failed' });
      stopTimer({ outcome: 'failed' });
      await this.recordFailure(event, error, opts.replay === true);
      throw new WebhookProcessingFailedError(event.id);
    }
  }

  /**
   * The common case in one statement (one round trip, atomic on its own): a new event whose effect needs no
   * decision outside SQL — an invoice of a known vendor, a strictly newer subscription event of a known plan, an
   * unhandled type — is claimed and applied together. Anything else (a duplicate, a retry of a failed event, an
   * unknown customer, an older or same-second subscription event, an add-on, a Checkout) answers null and takes
   * the transactional path, which decides it.
   */
  private async tryOneStatement(event: Stripe.Event, rawPayload: string | undefined): Promise<ProcessEventResult | null> {
    const now = this.clock.now();
    const p = new SqlParams();
    const claim = (q: SqlParams) => claimStatement(q, event, now, rawPayload);
    switch (event.type) {
      case 'invoice.paid': {
        const sql = invoiceStatement(p, event.type, event.data.object, now, claim);
        const [result] = await queryPrepared<InvoiceStatementResult>(this.dataSource, sql, p.values);
        if (!result.found) return null;
        if (!result.claimed) return this.alreadyDone(event);
        const outcome = invoiceOutcome(event.type, event.data.object, result);
        if (outcome.note) await this.dataSource.query(`UPDATE stripe_webhook_events SET error = $2 WHERE event_id = $1`, [event.id, outcome.note]);
        return { eventId: event.id, outcome: 'processed', ...(outcome.note && { note: outcome.note }) };
      }
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const subscription = event.type === 'customer.subscription.deleted' ? { ...event.data.object, status: 'canceled' as const } : event.data.object;
        if (subscription.metadata?.addon_code) return null;
        const created = new Date(event.created * 1000);
        const createdP = p.add(created, 'timestamptz');
        const subId = p.add(subscription.id, 'varchar');
        const sql = `WITH target AS (
            SELECT vendor_subscriptions.id FROM vendor_subscriptions
             WHERE ${vendorRowOfSubscription(p, subscription)}
               AND (vendor_subscriptions.last_stripe_event_at IS NULL OR vendor_subscriptions.last_stripe_event_at < ${createdP})
               AND NOT (vendor_subscriptions.stripe_subscription_id IS NOT NULL AND vendor_subscriptions.stripe_subscription_id <> ${subId}
                        AND ${p.add(DEAD_STRIPE_STATUSES.has(subscription.status), 'boolean')})
             FOR UPDATE),
          ${claim(p)},
          applied AS (
            UPDATE vendor_subscriptions SET ${vendorSubscriptionSet(p, subscription, now, created)}
              FROM target WHERE vendor_subscriptions.id = target.id AND EXISTS (SELECT 1 FROM claim)
            RETURNING 1)
          SELECT (SELECT count(*) FROM target)::int AS found, (SELECT count(*) FROM claim)::int AS claimed`;
        const [result] = await queryPrepared<{ found: number; claimed: number }>(this.dataSource, sql, p.values);
        if (!result.found) return null;
        return result.claimed ? { eventId: event.id, outcome: 'processed' } : this.alreadyDone(event);
      }
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded':
      case 'invoice.payment_failed': // writes a platform event (payment.failed) in the transactional handler
        return null;
      default: {
        const note = `event type ${event.type} is not handled`;
        const inserted = await queryPrepared<{ id: number }>(
          this.dataSource,
          `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
           VALUES ($1, $2, 'ignored', 1, $3, $4::jsonb, $5, $6, $6) ON CONFLICT (event_id) DO NOTHING RETURNING id`,
          [event.id, event.type, note, rawPayload ?? JSON.stringify(event), new Date(event.created * 1000), now],
        );
        return inserted.length ? { eventId: event.id, outcome: 'ignored', note } : this.alreadyDone(event);
      }
    }
  }

  /**
   * The one statement found the event id taken: a processed or ignored event is final, so a plain read settles
   * the duplicate; anything else (a failed event's retry, or a first delivery still running) takes the
   * transactional path, which waits on the row.
   */
  private async alreadyDone(event: Stripe.Event): Promise<ProcessEventResult | null> {
    const [row] = await queryPrepared<{ status: string }>(this.dataSource, `SELECT status FROM stripe_webhook_events WHERE event_id = $1`, [event.id]);
    return row && FINAL_STATUSES.has(row.status) ? { eventId: event.id, outcome: 'duplicate' } : null;
  }

  /**
   * Claims the event: a new id is inserted as processed (the transaction makes that true or absent); an existing
   * row is locked, so a concurrent delivery waits here for the first one's commit and then finds it done.
   */
  private async claim(manager: EntityManager, event: Stripe.Event, replay: boolean, rawPayload: string | undefined): Promise<Claim> {
    const now = this.clock.now();
    const payload = rawPayload ?? JSON.stringify(event);
    const inserted = await queryRows<{ id: number }>(
      manager,
      `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, payload, event_created_at, received_at, processed_at)
       VALUES ($1, $2, 'processed', 1, $3::jsonb, $4, $5, $5)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING id`,
      [event.id, event.type, payload, new Date(event.created * 1000), now],
    );
    if (inserted.length) return 'claimed';
    const [row] = await queryRows<{ status: string }>(manager, `SELECT status FROM stripe_webhook_events WHERE event_id = $1 FOR UPDATE`, [event.id]);
    if (!row || row.status === 'processed' || (FINAL_STATUSES.has(row.status) && !replay)) return 'done';
    await manager.query(
      `UPDATE stripe_webhook_events SET status = 'processed', attempts = attempts + 1, error = NULL, processed_at = $2, payload = COALESCE(payload, $3::jsonb) WHERE event_id = $1`,
      [event.id, now, payload],
    );
    return 'claimed';
  }

  private apply(manager: EntityManager, event: Stripe.Event): Promise<HandlerOutcome> {
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded':
        return this.subscriptions.checkoutCompleted(manager, event, event.data.object);
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
        return this.subscriptions.subscriptionChanged(manager, event, event.data.object);
      case 'invoice.paid':
      case 'invoice.payment_failed':
        return this.invoices.handle(manager, event.type, event.data.object);
      default:
        return Promise.resolve(ignored(`event type ${event.type} is not handled`));
    }
  }

  /** Outside the rolled-back transaction: the event is failed with the error and one more attempt, unless done. */
  private async recordFailure(event: Stripe.Event, error: unknown, replay: boolean): Promise<void> {
    const message = describeError(error);
    this.logger.error({ err: error, event_id: event.id, type: event.type, msg: `Stripe event ${event.id} failed: ${message}` });
    try {
      await this.dataSource.query(
        `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at)
         VALUES ($1, $2, 'failed', 1, $3, $4, $5, $6)
         ON CONFLICT (event_id) DO UPDATE SET status = 'failed', attempts = stripe_webhook_events.attempts + 1, error = EXCLUDED.error, processed_at = NULL
         WHERE stripe_webhook_events.status <> 'processed' AND ($7 OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention'))`,
        [event.id, event.type, message, event, new Date(event.created * 1000), this.clock.now(), replay],
      );
    } catch (recordError) {
      // The database itself is the trouble: nothing was kept as processed, and Stripe's retry will process it.
      this.logger.error({ err: recordError, event_id: event.id, msg: 'Could not record the failed Stripe event' });
    }
  }

  private invalid(field: 'stripe-signature' | 'body', message: string): InvalidWebhookError {
    webhookEventsTotal.inc({ type: 'unknown', outcome: 'invalid_signature' });
    return new InvalidWebhookError(field, message);
  }
}

/** The claim of the one-statement path: a CTE `claim` that inserts the event only when `target` found its row. */
function claimStatement(p: SqlParams, event: Stripe.Event, now: Date, rawPayload: string | undefined): string {
  const nowP = p.add(now, 'timestamptz');
  return `claim AS (
      INSERT INTO stripe_webhook_events (event_id, type, status, attempts, payload, event_created_at, received_at, processed_at)
      SELECT ${p.add(event.id, 'varchar')}, ${p.add(event.type, 'varchar')}, 'processed', 1, ${p.add(rawPayload ?? JSON.stringify(event), 'jsonb')},
             ${p.add(new Date(event.created * 1000), 'timestamptz')}, ${nowP}, ${nowP}
       WHERE EXISTS (SELECT 1 FROM target)
      ON CONFLICT (event_id) DO NOTHING
      RETURNING id)`;
}

/** What the signature check cannot tell: that the signed JSON is shaped like an event. */
export function isStripeEvent(value: unknown): value is Stripe.Event {
  const e = value as Partial<Stripe.Event> | null;
  return (
    typeof e === 'object' && e !== null && typeof e.id === 'string' && e.id.length > 0 && e.id.length <= 255 &&
    typeof e.type === 'string' && e.type.length > 0 && e.type.length <= 100 && typeof e.created === 'number' &&
    (e.object === undefined || e.object === 'event') && typeof e.data === 'object' && e.data !== null && typeof e.data.object === 'object' && e.data.object !== null
  );
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`.slice(0, 2000);
  }
  return String(error).slice(0, 2000);
}
