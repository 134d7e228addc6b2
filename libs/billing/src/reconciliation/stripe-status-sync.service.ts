import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { transactionThatMayRollBack, type JobResult } from '@app/database';
import { listPagesWithBackoff, readAhead, StripeRequestLimiter, StripeService, type BackoffOptions, type Stripe } from '@app/stripe';
import type { PlanState, StripeStamp } from '@app/subscription';
import { DataSource } from 'typeorm';
import { VendorAddOnRepository } from '../add-ons/vendor-add-on.repository.js';
import { BillingOperationsService } from '../operations/billing-operations.service.js';
import { HANDLED_EVENT_TYPES } from '../webhooks/handled-event-types.js';
import { READ_START_SQL, readStamp } from '../webhooks/subscription-patch.js';
import { stripeReadsSkippedTotal } from '../webhooks/webhook.metrics.js';
import { StripeWebhookService } from '../webhooks/stripe-webhook.service.js';
import { SubscriptionSyncService, type SubscriptionDiff } from '../webhooks/subscription-sync.service.js';

/** Stripe retries a webhook for three days; past that an event it could not deliver is ours to fetch. */
const EVENT_WINDOW_SECONDS = 3 * 86_400;
const PAGE_SIZE = 100;
/**
 * A domain hold past its time is looked at once Stripe's own `checkout.session.expired` has had time to free it:
 * this long after. Each run reads at most HOLDS_PER_RUN of their Checkouts (the rest wait for the next hour).
 */
const HOLD_GRACE_MS = 10 * 60_000;
const HOLDS_PER_RUN = 500;

/** Drift the operator cares about, by what differed. */
const DRIFT_FIELDS: Record<string, (keyof PlanState)[]> = {
  status: ['status'],
  tier: ['tier_code', 'is_annual'],
  period: ['period_start', 'period_end'],
  cancel_at_period_end: ['cancel_at_period_end', 'cancel_at'],
};

/** A page's corrections, committing in order, and the vendors whose rows they write. */
interface Corrections {
  done: Promise<void>;
  vendors: Set<number>;
}

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
  /** Of those skipped: reads older than what their row observed (an event applied after the read began). */
  reads_skipped: number;
  add_ons_applied: number;
  holds_released: number;
  holds_paid: number;
  holds_unconfirmed: number;
  rate_limit_backoffs: number;
}

/**
 * The hourly reconciliation with Stripe, for what webhooks missed. First the events of the handled types from
 * the last three days that the `stripe_webhook_events` ledger lacks (or holds as failed) go through the webhook
 * path (`processEvent`), page by page (oldest first within a page), so memory holds one page, not three days.
 * Then every Stripe subscription, a page at a time: one read compares the page with our rows through the
 * writer's own rules (`diffStripeSubscriptions`); only a subscription that would change something is applied
 * through the same `applyStripeSubscription` the webhooks use, in its own transaction, and one that differed is
 * counted as drift by field and logged. A row that matches costs no transaction, so the run is paced by Stripe's
 * rate, not by our writes. Between the two, domain holds whose Checkout ended unseen are released (releaseLapsedHolds). Subscriptions go last so Stripe's current state is what stays. Requests stay under
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
    private readonly addOns: VendorAddOnRepository,
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
      drift: {}, subscriptions_unmatched: 0, subscriptions_skipped: 0, reads_skipped: 0, add_ons_applied: 0, holds_released: 0, holds_paid: 0, holds_unconfirmed: 0,
      rate_limit_backoffs: 0,
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
    await this.releaseLapsedHolds(limiter, counts);
    await this.reconcileSubscriptions(limiter, backoff, counts);
    this.logger.log({ ...counts, msg: `sync-stripe-status: ${counts.subscriptions_drifted} drifted subscriptions corrected, ${counts.events_recovered + counts.events_retried} missed events recovered` });
    return { rowsAffected: counts.subscriptions_drifted + counts.events_recovered + counts.events_retried + counts.holds_released, details: { ...counts } };
  }

  /**
   * Domain holds whose Checkout ended without a word from Stripe (its `checkout.session.expired` not subscribed to,
   * lost, or older than the event window): a hold that never reached Stripe is dropped; one of a Checkout is
   * released once Stripe says that Checkout expired. One whose Checkout was paid is kept — the domain is that
   * vendor's — and reported: its grant waits for its event (recovered above while Stripe still lists it) or an
   * admin. Each read happens outside any transaction; the release is one statement that takes only a hold still
   * pending. Until then a later buyer would take over the hold the same way, so nothing here blocks a purchase.
   */
  private async releaseLapsedHolds(limiter: StripeRequestLimiter, counts: SyncCounts): Promise<void> {
    const manager = this.dataSource.manager;
    const before = new Date(this.clock.now().getTime() - HOLD_GRACE_MS);
    counts.holds_released += await this.addOns.dropUnsentHolds(manager, before);
    for (const hold of await this.addOns.lapsedCheckoutHolds(manager, before, HOLDS_PER_RUN)) {
      await limiter.take();
      let session: Stripe.Checkout.Session;
      try {
        session = await this.stripe.call('read the Checkout holding a domain', (stripe) => stripe.checkout.sessions.retrieve(hold.session_id));
      } catch (error) {
        counts.holds_unconfirmed++;
        this.logger.warn({ add_on_id: hold.id, session_id: hold.session_id, err: error, msg: `could not read Checkout ${hold.session_id} holding a domain; the next run asks again` });
        continue;
      }
      if (session.status === 'expired') {
        if (await this.addOns.releaseExpiredCheckoutHold(manager, hold.session_id, hold.id)) counts.holds_released++;
      } else if (session.status === 'complete') {
        counts.holds_paid++;
        this.logger.warn({ add_on_id: hold.id, session_id: hold.session_id, msg: `Checkout ${hold.session_id} was paid but its add-on is still a hold: its checkout.session.completed has not been processed` });
      }
    }
  }

  private async recoverMissedEvents(limiter: StripeRequestLimiter, backoff: BackoffOptions, counts: SyncCounts): Promise<void> {
    const stripe = this.stripe.client;
    const since = Math.floor(this.clock.now().getTime() / 1000) - EVENT_WINDOW_SECONDS;
    // One page in memory at a time, however many events three days hold.
    for await (const page of listPagesWithBackoff(
      (after) => stripe.events.list({ types: [...HANDLED_EVENT_TYPES], created: { gte: since }, limit: PAGE_SIZE, ...(after && { starting_after: after }) }),
      limiter, backoff,
    )) {
      counts.events_seen += page.data.length;
      await this.recoverPage(page.data, limiter, counts);
    }
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
    const pages = listPagesWithBackoff(
      async (after) => {
        // A page's items carry when it was asked for (the second, and the database's clock): an event applied
        // after that is newer than them, and they are skipped for its row.
        const readAt = this.clock.now();
        const [{ started_at: startedAt }] = await this.dataSource.query<{ started_at: string }[]>(READ_START_SQL);
        const page = await stripe.subscriptions.list({ status: 'all', limit: PAGE_SIZE, ...(after && { starting_after: after }) });
        return { data: page.data, has_more: page.has_more, stamp: readStamp(readAt, startedAt) };
      },
      limiter, backoff,
    );
    // The next page is read while this one is compared, and this page's corrections commit while the next one is
    // compared: a few pages in memory at most, whatever N.
    let corrections: Corrections = { done: Promise.resolve(), vendors: new Set() };
    try {
      for await (const page of readAhead(pages)) corrections = await this.reconcilePage(page.data, page.stamp, corrections, counts);
    } catch (error) {
      await corrections.done.catch(() => undefined);
      throw error;
    }
    await corrections.done;
  }

  /**
   * One page: what applying each subscription would do, in one read for the page (`diffSubscriptions`). Only
   * those that would change something — a plan that drifted, an add-on, a vendor with operations to settle —
   * take a transaction of their own (`reconcileOne`, the same path as before); a row that matches costs nothing
   * more. A vendor with two subscriptions on the page takes them one by one, in Stripe's order, since the first
   * may change what the second finds. The page is compared while the previous page's corrections commit; what
   * they may have changed (their vendors' rows, a customer linked to a vendor) is compared again once they have.
   * Answers this page's corrections, started and not awaited.
   */
  private async reconcilePage(page: Stripe.Subscription[], stamp: StripeStamp, previous: Corrections, counts: SyncCounts): Promise<Corrections> {
    // A row that matches holds the subscription's id: its vendor's open operations are found by that id meanwhile.
    const [diffs, settleable] = await Promise.all([
      this.sync.diffSubscriptions(page, stamp),
      this.operations.vendorsWithSettleableOperations(page.map((s) => s.id)),
    ]);
    await previous.done;
    const readEarly = page.flatMap((_, i) => {
      const d = diffs[i];
      return previous.vendors.size > 0 && (d.outcome === 'not_found' || ('vendorId' in d && previous.vendors.has(d.vendorId))) ? [i] : [];
    });
    if (readEarly.length > 0) {
      const again = await this.sync.diffSubscriptions(readEarly.map((i) => page[i]), stamp);
      readEarly.forEach((i, k) => (diffs[i] = again[k]));
    }
    const perVendor = new Map<number, number>();
    for (const d of diffs) if ('vendorId' in d) perVendor.set(d.vendorId, (perVendor.get(d.vendorId) ?? 0) + 1);
    const needsTransaction = (d: SubscriptionDiff) =>
      d.outcome === 'differs' || d.outcome === 'add_on' || ('vendorId' in d && (perVendor.get(d.vendorId)! > 1 || (d.outcome === 'matches' && settleable.has(d.vendorId))));
    const corrected: Stripe.Subscription[] = [];
    const vendors = new Set<number>();
    for (const [i, subscription] of page.entries()) {
      counts.subscriptions_seen++;
      const diff = diffs[i];
      if (needsTransaction(diff)) {
        corrected.push(subscription);
        if ('vendorId' in diff) vendors.add(diff.vendorId);
      } else if (diff.outcome === 'not_found') counts.subscriptions_unmatched++;
      else if (diff.outcome !== 'matches') this.skipped(diff.outcome, counts);
    }
    const done = (async () => {
      for (const subscription of corrected) await this.reconcileOne(subscription, stamp, counts);
    })();
    // Awaited with the next page; a failure meanwhile is not unhandled.
    done.catch(() => undefined);
    return { done, vendors };
  }

  /** Applies one Stripe subscription; commits only when something differed (drift), which is counted and logged. */
  /**
   * A subscription the run read but did not write: older than what its row observed (an event applied after the
   * read began: `stale`, `tie`) — counted as a skipped read, never as drift — or not the row's plan (`not_current`,
   * `second_live`).
   */
  private skipped(outcome: string, counts: SyncCounts): void {
    counts.subscriptions_skipped++;
    if (outcome !== 'stale' && outcome !== 'tie') return;
    counts.reads_skipped++;
    stripeReadsSkippedTotal.inc({ source: 'reconciliation' });
  }

  private async reconcileOne(subscription: Stripe.Subscription, stamp: StripeStamp, counts: SyncCounts): Promise<void> {
    const result = await transactionThatMayRollBack(this.dataSource, async (manager) => {
      // Not waiting for the commit's flush to disk: a correction lost to a crash is Stripe's state, found again
      // by the next run; atomicity stays (the row, its outbox event and settled operations commit together).
      await manager.query(`SET LOCAL synchronous_commit = off`);
      const applied = await this.sync.applySubscription(manager, subscription, stamp);
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
      case 'second_live':
        this.skipped(result.outcome, counts);
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
