import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock, redactUrlSecrets } from '@app/common';
import { queryRows, SqlParams, transactionThatMayRollBack, waitExpiredOf } from '@app/database';
import { StripeService, type Stripe } from '@app/stripe';
import { DataSource, type EntityManager } from 'typeorm';
import { isHandledEventType } from './handled-event-types.js';
import { InvoiceEventHandlers } from './invoice-event.handlers.js';
import { idOf, invoiceSubscriptionId } from './stripe-mapping.js';
import { READ_START_SQL } from './subscription-patch.js';
import { SubscriptionEventHandlers } from './subscription-event.handlers.js';
import { claimSql, fixedOutcome, ledgerClaim, planEventStep, type Claim } from './webhook-ledger.js';
import { ignored, type ClaimReport, type HandlerOutcome, type Prefetched } from './webhook-handler.types.js';
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
 * then the event id is claimed in `stripe_webhook_events` together with its effect: in one statement for nearly
 * all events (applyOnce), in one transaction for the rest. Concurrent deliveries of one event serialize on its
 * ledger row: the second finds it done. A subscription event of the same second as the state applied last is
 * recorded `processing`, the subscription re-read from Stripe, and the event run again with it. Content that can never be applied (a value out of range, a
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
      // A lock or statement limit that passed is the API's 503 (busy, nothing changed), as on every route.
      if (waitExpiredOf(error)) throw error;
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
    const claim: Claim = { event, payload, createdAt, replay, now: this.clock.now() };
    let prefetched = await this.prefetch(event, replay);
    if (prefetched === 'duplicate') return { eventId: event.id, outcome: 'duplicate' };
    // A same-second tie, or an invoice of a subscription not linked yet, asks once for Stripe's current
    // subscription; with it in hand the event always settles.
    for (;;) {
      const result = await this.applyOnce(claim, prefetched);
      if (!('status' in result)) return result;
      if (prefetched.subscription) throw new Error(`subscription ${result.subscriptionId} still asks for a re-read after one`);
      prefetched = await this.readSubscription(result.subscriptionId);
    }
  }

  /**
   * The event's effect with its claim. A plan's `customer.subscription.*`, the invoices and a paid add-on Checkout —
   * nearly all that Stripe sends — run as one statement each, outside any transaction: the handler composes its writes (each written by
   * the owner of its table) with the ledger's claim, so one round trip claims and applies. The rest, and a
   * subscription event that statement left unclaimed (an add-on's), run in a transaction.
   */
  private async applyOnce(claim: Claim, prefetched: Prefetched): Promise<ProcessEventResult | Reread> {
    const { event } = claim;
    if (event.type === 'invoice.paid' || event.type === 'invoice.payment_failed') {
      const [kind, invoice, eventAt] = [event.type, event.data.object, claim.createdAt!];
      if (prefetched.subscription) {
        // Its subscription was not linked: applied as Stripe holds it now, then the invoice, together.
        const report = await transactionThatMayRollBack(this.dataSource, async (manager) => {
          await this.subscriptions.applyRead(manager, prefetched);
          return { commit: true, value: await this.invoices.handle(manager, kind, invoice, ledgerClaim(claim), eventAt, { afterRead: true }) };
        });
        return this.settled(claim, report);
      }
      const report = await this.invoices.handle(this.dataSource.manager, kind, invoice, ledgerClaim(claim), eventAt);
      const subscriptionId = invoiceSubscriptionId(invoice);
      if (report.status === 'processing' && subscriptionId) return { status: 'reread', subscriptionId };
      return this.settled(claim, report);
    }
    if (isAddOnCheckoutPaid(event)) {
      return this.settled(claim, await this.subscriptions.addOnCheckoutCompleted(this.dataSource.manager, event.data.object, prefetched, ledgerClaim(claim)));
    }
    if (isPlanSubscriptionEvent(event)) {
      const subscription = event.data.object;
      const step = planEventStep(ledgerClaim(claim), subscription.id, prefetched);
      const report = await this.subscriptions.planSubscriptionChanged<ClaimReport>(this.dataSource.manager, event, subscription, prefetched, step);
      if (report.status === 'processing') return { status: 'reread', subscriptionId: subscription.id };
      if (report.wanted !== null) return this.settled(claim, report);
    }
    return this.inTransaction(claim, prefetched);
  }

  /** The result of a one-statement claim: what the ledger now says, or a duplicate when it took nothing. */
  private settled(claim: Claim, report: ClaimReport): ProcessEventResult {
    if (!report.status) return { eventId: claim.event.id, outcome: 'duplicate' };
    return { eventId: claim.event.id, outcome: report.status as ProcessEventOutcome, ...(report.note && { note: report.note }) };
  }

  /**
   * Every other event: in one transaction the event is claimed, its handler's effect applied on the same
   * EntityManager, and the event marked when the handler says more than "processed".
   */
  private inTransaction(claim: Claim, prefetched: Prefetched): Promise<ProcessEventResult | Reread> {
    const { event } = claim;
    return transactionThatMayRollBack<ProcessEventResult | Reread>(this.dataSource, async (manager) => {
      const p = new SqlParams();
      const add = p.add;
      const claimed = await queryRows(manager, claimSql(add, claim, fixedOutcome(add, 'processed', null)), p.values);
      if (!claimed.length) return { commit: false, value: { eventId: event.id, outcome: 'duplicate' } };
      const outcome = await this.apply(manager, event, prefetched);
      if (outcome.status === 'reread') return { commit: false, value: outcome };
      if (outcome.note || outcome.status !== 'processed') {
        await manager.query(`UPDATE stripe_webhook_events SET status = $2, error = $3 WHERE event_id = $1`, [event.id, outcome.status, outcome.note ?? null]);
      }
      return { commit: true, value: { eventId: event.id, outcome: outcome.status, ...(outcome.note && { note: outcome.note }) } };
    });
  }

  /**
   * Stripe objects the handler needs, read before the transaction: a Checkout's subscription. A delivery of an
   * event already done answers `duplicate` first, so a retry storm costs Stripe nothing.
   */
  private async prefetch(event: Stripe.Event, replay: boolean): Promise<Prefetched | 'duplicate'> {
    if (event.type !== 'checkout.session.completed' && event.type !== 'checkout.session.async_payment_succeeded') return {};
    const subscriptionId = idOf(event.data.object.subscription);
    if (!subscriptionId) return {};
    const [row] = await this.dataSource.query<{ status: string | null; started_at: string }[]>(
      `SELECT (SELECT status FROM stripe_webhook_events WHERE event_id = $1) AS status, clock_timestamp()::text AS started_at`, [event.id]);
    if (row.status && (row.status === 'processed' || (FINAL.has(row.status) && !replay))) return 'duplicate';
    return this.readSubscription(subscriptionId, row.started_at);
  }

  /**
   * Stripe's subscription now, with when the read began (the whole second on our clock, and the database's clock:
   * it applies only over a row that observed nothing after that).
   */
  private async readSubscription(id: string, startedAt?: string): Promise<Prefetched> {
    const readAt = this.clock.now();
    const started = startedAt ?? (await this.dataSource.query<{ started_at: string }[]>(READ_START_SQL))[0].started_at;
    return { subscription: await this.stripe.call('read the subscription', (s) => s.subscriptions.retrieve(id)), readAt, startedAt: started };
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
      default:
        return Promise.resolve(ignored(`event type ${event.type} is not handled`));
    }
  }

  /**
   * Records an event that was not applied (failed, ignored, needs attention) in a statement of its own, with one
   * more attempt, unless it is done already. Answers whether it wrote.
   */
  private async record(event: Stripe.Event, payload: string, status: 'failed' | 'ignored' | 'needs_attention', note: string, replay: boolean): Promise<boolean> {
    const p = new SqlParams();
    const add = p.add;
    const claim: Claim = { event, payload, createdAt: eventTime(event), replay, now: this.clock.now() };
    const rows = await queryRows(this.dataSource.manager, claimSql(add, claim, fixedOutcome(add, status, note)), p.values, { reusePlan: true });
    return rows.length > 0;
  }

  private invalid(field: 'stripe-signature' | 'body', message: string): InvalidWebhookError {
    webhookEventsTotal.inc({ type: 'unknown', outcome: 'invalid_signature' });
    return new InvalidWebhookError(field, message);
  }
}

type Reread = { status: 'reread'; subscriptionId: string };

/** A Checkout of an add-on (`metadata.addon_code`) completed or paid later. */
function isAddOnCheckoutPaid(event: Stripe.Event): event is Stripe.CheckoutSessionCompletedEvent | Stripe.CheckoutSessionAsyncPaymentSucceededEvent {
  return (event.type === 'checkout.session.completed' || event.type === 'checkout.session.async_payment_succeeded') && Boolean(event.data.object.metadata?.addon_code);
}

/** `customer.subscription.*` of a plan (an add-on's subscription carries `metadata.addon_code`). */
function isPlanSubscriptionEvent(event: Stripe.Event): event is Stripe.CustomerSubscriptionCreatedEvent | Stripe.CustomerSubscriptionUpdatedEvent | Stripe.CustomerSubscriptionDeletedEvent {
  return (
    (event.type === 'customer.subscription.created' || event.type === 'customer.subscription.updated' || event.type === 'customer.subscription.deleted') &&
    !(event.data.object as Stripe.Subscription).metadata?.addon_code
  );
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
    // Stored and shown to admins: a URL an outbound call's error quotes loses its credentials and query string.
    return redactUrlSecrets(`${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`).slice(0, 2000);
  }
  return redactUrlSecrets(String(error)).slice(0, 2000);
}
