import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '@app/common';
import { queryRows, transactionThatMayRollBack } from '@app/database';
import { StripeService, type Stripe } from '@app/stripe';
import { DataSource, type EntityManager } from 'typeorm';
import { isHandledEventType } from './handled-event-types.js';
import { InvoiceEventHandlers } from './invoice-event.handlers.js';
import { idOf } from './stripe-mapping.js';
import { SubscriptionEventHandlers } from './subscription-event.handlers.js';
import { ignored, type HandlerOutcome, type Prefetched } from './webhook-handler.types.js';
import { metricType, webhookEventsTotal, webhookProcessingSeconds } from './webhook.metrics.js';
import { InvalidWebhookError, WebhookProcessingFailedError, WebhookSecretNotConfiguredError } from './webhooks.errors.js';

export type ProcessEventOutcome = 'processed' | 'ignored' | 'needs_attention' | 'duplicate';

export interface ProcessEventResult {
  eventId: string;
  outcome: ProcessEventOutcome;
  note?: string;
}

export interface ProcessEventOptions {
  /** An admin's replay: an `ignored` or `needs_attention` event is processed again (a delivery treats it as done). */
  replay?: boolean;
  /** The event's JSON as received, stored as the payload instead of serializing the event again. */
  rawPayload?: string;
}

/** Ledger states after which a delivery is a duplicate (a replay may still run the last two again). */
const FINAL = new Set(['processed', 'ignored', 'needs_attention']);

/** Stripe's `created` from 2000 to 2100: anything else is not a time this system can order events by. */
const MIN_CREATED = 946_684_800;
const MAX_CREATED = 4_102_444_800;

/**
 * The one path every Stripe event takes — the HTTP endpoint, the admin replay and the worker's recovery of missed
 * events. What the handler needs from Stripe is read first, outside any transaction (a Checkout's subscription);
 * then in one transaction the event id is claimed in `stripe_webhook_events`, its effect applied on the same
 * EntityManager, and the event marked. Concurrent deliveries of one event serialize on its ledger row: the second
 * finds it done. A subscription event of the same second as the state applied last rolls back, re-reads the
 * subscription from Stripe and runs again with it. Content that can never be applied (a value out of range, a
 * conflict with another vendor's purchase) is recorded `needs_attention` and answered 200; only a failure that a
 * retry can cure (the database is unreachable) answers 500 with nothing kept as processed.
 */
@Injectable()
export class StripeWebhookService {
  private readonly logger = new Logger(StripeWebhookService.name);
  /** Read once: the environment is fixed for the process, and this runs for every delivery. */
  private readonly webhookSecretSet: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly stripe: StripeService,
    private readonly config: ConfigService,
    private readonly clock: Clock,
    private readonly subscriptions: SubscriptionEventHandlers,
    private readonly invoices: InvoiceEventHandlers,
  ) {
    this.webhookSecretSet = Boolean(this.config.get<string>('STRIPE_WEBHOOK_SECRET'));
  }

  /** A delivery from Stripe: verified on the raw body before anything is parsed or written, then processed. */
  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<ProcessEventResult> {
    if (!this.webhookSecretSet) throw new WebhookSecretNotConfiguredError();
    if (!signature) throw this.invalid('stripe-signature', 'The Stripe-Signature header is missing.');
    const event = this.stripe.verifyWebhook(rawBody, signature);
    if (!event) throw this.invalid('stripe-signature', 'The Stripe-Signature does not match the body, or is older than 300 seconds.');
    if (!isStripeEvent(event)) throw this.invalid('body', 'The body is not a Stripe event.');
    return this.processEvent(event, { rawPayload: rawBody?.toString('utf8') });
  }

  async processEvent(event: Stripe.Event, opts: ProcessEventOptions = {}): Promise<ProcessEventResult> {
    const type = metricType(event.type);
    const stopTimer = webhookProcessingSeconds.startTimer({ type });
    const payload = storablePayload(event, opts.rawPayload);
    try {
      const result = await this.run(event, payload, opts.replay === true);
      webhookEventsTotal.inc({ type, outcome: result.outcome });
      stopTimer({ outcome: result.outcome });
      if (result.outcome !== 'duplicate') this.logger.log({ event_id: event.id, type: event.type, outcome: result.outcome, note: result.note, msg: 'Stripe event handled' });
      return result;
    } catch (error) {
      if (isPermanentDataError(error)) {
        // A retry would fail the same way for ever: record why, answer 200, and let an admin look.
        const note = `cannot be applied: ${describeError(error)}`;
        await this.record(event, payload, 'needs_attention', note, opts.replay === true);
        webhookEventsTotal.inc({ type, outcome: 'needs_attention' });
        stopTimer({ outcome: 'needs_attention' });
        this.logger.warn({ event_id: event.id, type: event.type, msg: `Stripe event ${event.id} needs attention: ${note}` });
        return { eventId: event.id, outcome: 'needs_attention', note };
      }
      webhookEventsTotal.inc({ type, outcome: 'failed' });
      stopTimer({ outcome: 'failed' });
      this.logger.error({ err: error, event_id: event.id, type: event.type, msg: `Stripe event ${event.id} failed: ${describeError(error)}` });
      await this.record(event, payload, 'failed', describeError(error), opts.replay === true).catch((recordError: unknown) => {
        // The database itself is the trouble: nothing was kept as processed, and Stripe's retry will process it.
        this.logger.error({ err: recordError, event_id: event.id, msg: 'Could not record the failed Stripe event' });
      });
      throw new WebhookProcessingFailedError(event.id);
    }
  }

  private async run(event: Stripe.Event, payload: string, replay: boolean): Promise<ProcessEventResult> {
    const createdAt = eventTime(event);
    if (!createdAt) {
      const note = `event ${event.id}: created ${String(event.created)} is not a plausible time`;
      return (await this.record(event, payload, 'ignored', note, replay)) ? { eventId: event.id, outcome: 'ignored', note } : { eventId: event.id, outcome: 'duplicate' };
    }
    if (!isHandledEventType(event.type)) {
      const note = `event type ${event.type} is not handled`;
      return (await this.record(event, payload, 'ignored', note, replay)) ? { eventId: event.id, outcome: 'ignored', note } : { eventId: event.id, outcome: 'duplicate' };
    }
    let prefetched = await this.prefetch(event, replay);
    if (prefetched === 'duplicate') return { eventId: event.id, outcome: 'duplicate' };
    // A same-second tie asks once for Stripe's current object; with it in hand the event always settles.
    for (;;) {
      const given = prefetched;
      const result = await transactionThatMayRollBack<ProcessEventResult | { status: 'reread'; subscriptionId: string }>(this.dataSource, async (manager) => {
        if (!(await this.claim(manager, event, payload, createdAt, replay))) return { commit: false, value: { eventId: event.id, outcome: 'duplicate' } };
        const outcome = await this.apply(manager, event, given);
        if (outcome.status === 'reread') return { commit: false, value: outcome };
        if (outcome.note || outcome.status !== 'processed') {
          await manager.query(`UPDATE stripe_webhook_events SET status = $2, error = $3 WHERE event_id = $1`, [event.id, outcome.status, outcome.note ?? null]);
        }
        return { commit: true, value: { eventId: event.id, outcome: outcome.status, ...(outcome.note && { note: outcome.note }) } };
      });
      if (!('status' in result)) return result;
      if (prefetched.subscription) throw new Error(`subscription ${result.subscriptionId} still ties after a re-read`);
      prefetched = await this.readSubscription(result.subscriptionId);
    }
  }

  /**
   * Stripe objects the handler needs, read before the transaction: a Checkout's subscription. A delivery of an
   * event already done answers `duplicate` first, so a retry storm costs Stripe nothing.
   */
  private async prefetch(event: Stripe.Event, replay: boolean): Promise<Prefetched | 'duplicate'> {
    if (event.type !== 'checkout.session.completed' && event.type !== 'checkout.session.async_payment_succeeded') return {};
    const [row] = await this.dataSource.query<{ status: string }[]>(`SELECT status FROM stripe_webhook_events WHERE event_id = $1`, [event.id]);
    if (row && (row.status === 'processed' || (FINAL.has(row.status) && !replay))) return 'duplicate';
    const subscriptionId = idOf(event.data.object.subscription);
    return subscriptionId ? this.readSubscription(subscriptionId) : {};
  }

  private async readSubscription(id: string): Promise<Prefetched> {
    const readAt = this.clock.now();
    return { subscription: await this.stripe.call('read the subscription', (s) => s.subscriptions.retrieve(id)), readAt };
  }

  /**
   * Claims the event: a new id is inserted as processed (the transaction makes that true or absent); an existing
   * row is locked, so a concurrent delivery waits here for the first one's commit and then finds it done.
   */
  private async claim(manager: EntityManager, event: Stripe.Event, payload: string, createdAt: Date, replay: boolean): Promise<boolean> {
    const now = this.clock.now();
    const inserted = await queryRows<{ id: number }>(
      manager,
      `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, payload, event_created_at, received_at, processed_at)
       VALUES ($1, $2, 'processed', 1, $3::jsonb, $4, $5, $5)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING id`,
      [event.id, event.type, payload, createdAt, now],
    );
    if (inserted.length) return true;
    const [row] = await queryRows<{ status: string }>(manager, `SELECT status FROM stripe_webhook_events WHERE event_id = $1 FOR UPDATE`, [event.id]);
    if (!row || row.status === 'processed' || (FINAL.has(row.status) && !replay)) return false;
    await manager.query(
      `UPDATE stripe_webhook_events SET status = 'processed', attempts = attempts + 1, error = NULL, processed_at = $2, payload = COALESCE(payload, $3::jsonb) WHERE event_id = $1`,
      [event.id, now, payload],
    );
    return true;
  }

  private apply(manager: EntityManager, event: Stripe.Event, prefetched: Prefetched): Promise<HandlerOutcome> {
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded':
        return this.subscriptions.checkoutCompleted(manager, event, event.data.object, prefetched);
      case 'checkout.session.expired':
        return this.subscriptions.checkoutExpired(manager, event.data.object);
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
        return this.subscriptions.subscriptionChanged(manager, event, event.data.object, prefetched);
      case 'invoice.paid':
      case 'invoice.payment_failed':
        return this.invoices.handle(manager, event.type, event.data.object);
      default:
        return Promise.resolve(ignored(`event type ${event.type} is not handled`));
    }
  }

  /**
   * Records an event that was not applied (failed, ignored, needs attention) in a statement of its own, with one
   * more attempt, unless it is done already. Answers whether it wrote.
   */
  private async record(event: Stripe.Event, payload: string, status: 'failed' | 'ignored' | 'needs_attention', note: string, replay: boolean): Promise<boolean> {
    const rows = await queryRows<{ id: number }>(
      this.dataSource.manager,
      `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
       VALUES ($1, $2, $3::varchar, 1, $4, $5::jsonb, $6, $7, CASE WHEN $3::varchar = 'failed' THEN NULL ELSE $7::timestamptz END)
       ON CONFLICT (event_id) DO UPDATE SET status = EXCLUDED.status, attempts = stripe_webhook_events.attempts + 1, error = EXCLUDED.error,
              processed_at = EXCLUDED.processed_at
       WHERE stripe_webhook_events.status <> 'processed' AND ($8 OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention'))
       RETURNING id`,
      [event.id, String(event.type).slice(0, 100), status, note.slice(0, 2000), payload, eventTime(event), this.clock.now(), replay],
    );
    return rows.length > 0;
  }

  private invalid(field: 'stripe-signature' | 'body', message: string): InvalidWebhookError {
    webhookEventsTotal.inc({ type: 'unknown', outcome: 'invalid_signature' });
    return new InvalidWebhookError(field, message);
  }
}

/** What the signature check cannot tell: that the signed JSON is shaped like an event. */
export function isStripeEvent(value: unknown): value is Stripe.Event {
  const e = value as Partial<Stripe.Event> | null;
  return (
    typeof e === 'object' && e !== null && typeof e.id === 'string' && e.id.length > 0 && e.id.length <= 255 && !e.id.includes('\u0000') &&
    typeof e.type === 'string' && e.type.length > 0 && e.type.length <= 100 && !e.type.includes('\u0000') && typeof e.created === 'number' &&
    (e.object === undefined || e.object === 'event') && typeof e.data === 'object' && e.data !== null && typeof e.data.object === 'object' && e.data.object !== null
  );
}

function eventTime(event: Stripe.Event): Date | null {
  return Number.isInteger(event.created) && event.created >= MIN_CREATED && event.created <= MAX_CREATED ? new Date(event.created * 1000) : null;
}

/**
 * The payload as `jsonb` can hold it: the raw body, unless it carries a NUL or a lone surrogate (which `jsonb`
 * refuses); then the event again with those characters replaced, so the ledger keeps everything else.
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what jsonb refuses
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function storablePayload(event: Stripe.Event, raw: string | undefined): string {
  const text = raw ?? JSON.stringify(event);
  if (!/\\u0000|\\u[dD][89a-fA-F]/.test(text)) return text;
  return JSON.stringify(event, (_key, value: unknown) => (typeof value === 'string' ? value.replace(UNSTORABLE, '\ufffd') : value));
}

/**
 * PostgreSQL errors a retry cannot cure: data exceptions (class 22: out of range, invalid text or time) and
 * integrity violations (class 23: a unique value taken by another vendor, a failed CHECK).
 */
function isPermanentDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`.slice(0, 2000);
  }
  return String(error).slice(0, 2000);
}
