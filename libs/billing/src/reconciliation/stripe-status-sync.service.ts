import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { transactionThatMayRollBack, type JobResult } from '@app/database';
import { paginateWithBackoff, StripeRequestLimiter, StripeService, type BackoffOptions, type Stripe } from '@app/stripe';
import type { PlanState } from '@app/subscription';
import { DataSource } from 'typeorm';
import { BillingOperationsService } from '../operations/billing-operations.service.js';
import { HANDLED_EVENT_TYPES } from '../webhooks/handled-event-types.js';
import { readStamp } from '../webhooks/subscription-patch.js';
import { StripeWebhookService } from '../webhooks/stripe-webhook.service.js';
import { SubscriptionSyncService } from '../webhooks/subscription-sync.service.js';

/** Stripe retries a webhook for three days; past that an event it could not deliver is ours to fetch. */
const EVENT_WINDOW_SECONDS = 3 * 86_400;
const PAGE_SIZE = 100;

/** Drift the operator cares about, by what differed. */
const DRIFT_FIELDS: Record<string, (keyof PlanState)[]> = {
  status: ['status'],
  tier: ['tier_code', 'is_annual'],
  period: ['period_start', 'period_end'],
  cancel_at_period_end: ['cancel_at_period_end'],
};

interface SyncCounts {
  events_seen: number;
  events_recovered: number;
  events_retried: number;
  events_failed: number;
  subscriptions_seen: number;
  subscriptions_drifted: number;
  drift: Record<string, number>;
  subscriptions_unmatched: number;
  subscriptions_skipped: number;
  add_ons_applied: number;
  rate_limit_backoffs: number;
}

/**
 * The hourly reconciliation with Stripe, for what webhooks missed. First the events of the handled types from
 * the last three days that the `stripe_webhook_events` ledger lacks (or holds as failed) go through the webhook
 * path (`processEvent`), page by page (oldest first within a page), so memory holds one page, not three days. Then every Stripe subscription, paged with auto-pagination, is applied
 * through the same `applyStripeSubscription` the webhooks use, each in its own transaction; one whose row
 * already matches is rolled back (no write), one that differed is counted as drift by field and logged.
 * Subscriptions go last so Stripe's current state is what stays. Requests stay under
 * STRIPE_MAX_REQUESTS_PER_SECOND and back off on 429.
 */
@Injectable()
export class StripeStatusSyncService {
  private readonly logger = new Logger(StripeStatusSyncService.name);
  private readonly requestsPerSecond: number;
  /** Tests shorten the 429 backoff; production keeps 1 s doubling. */
  backoff: Pick<BackoffOptions, 'baseDelayMs' | 'retries'> = {};

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly stripe: StripeService,
    private readonly sync: SubscriptionSyncService,
    private readonly operations: BillingOperationsService,
    private readonly webhooks: StripeWebhookService,
    private readonly clock: Clock,
    config: ConfigService,
  ) {
    this.requestsPerSecond = config.get<number>('STRIPE_MAX_REQUESTS_PER_SECOND') ?? 20;
  }

  async reconcile(): Promise<JobResult> {
    if (!this.stripe.isConfigured) {
      this.logger.log('sync-stripe-status skipped: Stripe is not configured (STRIPE_SECRET_KEY is unset)');
      return { rowsAffected: 0, details: { reason: 'stripe_not_configured' } };
    }
    const counts: SyncCounts = {
      events_seen: 0, events_recovered: 0, events_retried: 0, events_failed: 0, subscriptions_seen: 0, subscriptions_drifted: 0,
      drift: {}, subscriptions_unmatched: 0, subscriptions_skipped: 0, add_ons_applied: 0, rate_limit_backoffs: 0,
    };
    const limiter = new StripeRequestLimiter(this.requestsPerSecond);
    const backoff: BackoffOptions = {
      ...this.backoff,
      onBackoff: (attempt, delayMs) => {
        counts.rate_limit_backoffs++;
        this.logger.warn({ attempt, delay_ms: delayMs, msg: `Stripe answered 429: backing off ${delayMs} ms` });
      },
    };
    await this.recoverMissedEvents(limiter, backoff, counts);
    await this.reconcileSubscriptions(limiter, backoff, counts);
    this.logger.log({ ...counts, msg: `sync-stripe-status: ${counts.subscriptions_drifted} drifted subscriptions corrected, ${counts.events_recovered + counts.events_retried} missed events recovered` });
    return { rowsAffected: counts.subscriptions_drifted + counts.events_recovered + counts.events_retried, details: { ...counts } };
  }

  private async recoverMissedEvents(limiter: StripeRequestLimiter, backoff: BackoffOptions, counts: SyncCounts): Promise<void> {
    const stripe = this.stripe.client;
    const since = Math.floor(this.clock.now().getTime() / 1000) - EVENT_WINDOW_SECONDS;
    // One page in memory at a time, however many events three days hold.
    let page: Stripe.Event[] = [];
    for await (const event of paginateWithBackoff(
      (after) => stripe.events.list({ types: [...HANDLED_EVENT_TYPES], created: { gte: since }, limit: PAGE_SIZE, ...(after && { starting_after: after }) }),
      limiter, PAGE_SIZE, backoff,
    )) {
      counts.events_seen++;
      page.push(event);
      if (page.length < PAGE_SIZE) continue;
      await this.recoverPage(page, limiter, counts);
      page = [];
    }
    if (page.length > 0) await this.recoverPage(page, limiter, counts);
  }

  /**
   * The events of one page (Stripe lists newest first) that the ledger lacks or holds as failed (or stuck in
   * `processing`), oldest first
   * within the page. A page of older events comes after a newer one: an older subscription event is then recorded
   * and skipped by the event-time watermark, and the subscriptions pass that follows applies Stripe's state now.
   */
  private async recoverPage(events: Stripe.Event[], limiter: StripeRequestLimiter, counts: SyncCounts): Promise<void> {
    const known = new Map<string, string>();
    const rows: { event_id: string; status: string }[] = await this.dataSource.query(`SELECT event_id, status FROM stripe_webhook_events WHERE event_id = ANY($1)`, [events.map((e) => e.id)]);
    for (const r of rows) known.set(r.event_id, r.status);
    // `processing`: a same-second tie whose re-read never finished (the process died, or Stripe failed it).
    const missing = events.filter((e) => !known.has(e.id) || known.get(e.id) === 'failed' || known.get(e.id) === 'processing').sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
    for (const event of missing) {
      const retry = known.has(event.id);
      try {
        // A handler may re-read from Stripe: each event takes a turn from the limiter too.
        await limiter.take();
        const result = await this.webhooks.processEvent(event);
        if (result.outcome === 'duplicate') continue;
        if (retry) counts.events_retried++;
        else counts.events_recovered++;
        this.logger.warn({ event_id: event.id, type: event.type, outcome: result.outcome, retry, msg: `recovered Stripe event ${event.id} (${event.type}) that the webhook ${retry ? 'failed to process' : 'never delivered'}` });
      } catch (error) {
        // processEvent has recorded it as failed; the next run (or an admin replay) tries again.
        counts.events_failed++;
        this.logger.error({ event_id: event.id, type: event.type, err: error, msg: `could not process missed Stripe event ${event.id}` });
      }
    }
  }

  private async reconcileSubscriptions(limiter: StripeRequestLimiter, backoff: BackoffOptions, counts: SyncCounts): Promise<void> {
    const stripe = this.stripe.client;
    // Each page's items carry the second the page was asked for: an event applied after that is newer than them.
    let pageReadAt = this.clock.now();
    for await (const subscription of paginateWithBackoff(
      (after) => {
        pageReadAt = this.clock.now();
        return stripe.subscriptions.list({ status: 'all', limit: PAGE_SIZE, ...(after && { starting_after: after }) });
      },
      limiter, PAGE_SIZE, backoff,
    )) {
      counts.subscriptions_seen++;
      await this.reconcileOne(subscription, pageReadAt, counts);
    }
  }

  /** Applies one Stripe subscription; commits only when something differed (drift), which is counted and logged. */
  private async reconcileOne(subscription: Stripe.Subscription, readAt: Date, counts: SyncCounts): Promise<void> {
    const result = await transactionThatMayRollBack(this.dataSource, async (manager) => {
      const applied = await this.sync.applySubscription(manager, subscription, readStamp(readAt));
      // Operations Stripe answered whose local write failed (or whose process died) are complete with this state.
      const settled = applied.outcome === 'applied' ? await this.operations.settleOpenOperations(manager, applied.vendorId) : 0;
      return { commit: applied.outcome === 'applied_add_on' || (applied.outcome === 'applied' && (applied.changed.length > 0 || settled > 0)), value: applied };
    });
    switch (result.outcome) {
      case 'not_found':
        counts.subscriptions_unmatched++;
        return;
      case 'stale':
      case 'tie':
      case 'not_current':
        counts.subscriptions_skipped++;
        return;
      case 'applied_add_on':
        counts.add_ons_applied++;
        return;
    }
    if (result.changed.length === 0) return;
    const kinds = Object.entries(DRIFT_FIELDS).filter(([, cols]) => cols.some((c) => result.changed.includes(c))).map(([kind]) => kind);
    counts.subscriptions_drifted++;
    for (const kind of kinds) counts.drift[kind] = (counts.drift[kind] ?? 0) + 1;
    this.logger.warn({
      vendor_id: result.vendorId, subscription_id: subscription.id, drift: kinds, changed: result.changed,
      was: pick(result.before, result.changed), now: pick(result.after, result.changed),
      msg: `subscription of vendor ${result.vendorId} drifted from Stripe (${kinds.join(', ') || result.changed.join(', ')}); corrected`,
    });
  }
}

function pick(row: PlanState, columns: (keyof PlanState)[]): Record<string, unknown> {
  return Object.fromEntries(columns.map((c) => [c, row[c]]));
}
