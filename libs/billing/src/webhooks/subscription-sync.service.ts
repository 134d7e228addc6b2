import { Injectable, Logger } from '@nestjs/common';
import { Clock, NotFoundError } from '@app/common';
import { StripeService, type Stripe } from '@app/stripe';
import { SubscriptionWriter, type ApplyStripeResult, type FusedStep, type StripeDiff, type StripeStamp } from '@app/subscription';
import { DataSource, type EntityManager } from 'typeorm';
import { VendorAddOnRepository } from '../add-ons/vendor-add-on.repository.js';
import { readStamp, toSubscriptionPatch } from './subscription-patch.js';
import { stripeReadsSkippedTotal } from './webhook.metrics.js';

export type ApplySubscriptionResult = ApplyStripeResult | { outcome: 'applied_add_on'; vendorId: number; addOnId: number };

/** What `applySubscription` would do with a subscription: a plan's diff, or `add_on` (it pays for a vendor add-on). */
export type SubscriptionDiff = StripeDiff | { outcome: 'add_on' };

export type SyncVendorResult =
  | { outcome: 'synced'; subscriptionId: string; result: ApplySubscriptionResult }
  | { outcome: 'not_linked'; reason: string };

/** A vendor's plan subscription as Stripe holds it, the second it was read and the database's clock then. */
export type StripeRead = { subscription: Stripe.Subscription; readAt: Date; startedAt: string } | { subscription: null; reason: string };

/**
 * Turns a Stripe subscription into our rows, whatever brought it — an operation's answer, a webhook, `/sync`, the
 * hourly reconciliation: a plan's goes through the pure patch function to the subscription lib's writer (one
 * watermark for all of them), an add-on's to the add-on. Writes run on the caller's transaction; reads of Stripe
 * happen here, outside any transaction.
 */
@Injectable()
export class SubscriptionSyncService {
  private readonly logger = new Logger(SubscriptionSyncService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly stripe: StripeService,
    private readonly writer: SubscriptionWriter,
    private readonly addOns: VendorAddOnRepository,
    private readonly clock: Clock,
  ) {}

  /** Applies `subscription`, stamped with the event that carried it or the second it was read. */
  async applySubscription(manager: EntityManager, subscription: Stripe.Subscription, stamp: StripeStamp, opts: { deleted?: boolean } = {}): Promise<ApplySubscriptionResult> {
    if (!subscription.metadata?.addon_code) {
      const result = await this.writer.applyStripeSubscription(manager, this.patchOf(subscription, opts.deleted), stamp);
      if (result.outcome !== 'not_found') return result;
    }
    const addOn = await this.applyAddOnSubscription(manager, subscription, opts.deleted === true);
    if (addOn) return addOn;
    if (subscription.metadata?.addon_code) return { outcome: 'not_found', reason: `add-on subscription ${subscription.id} is not linked to a vendor add-on yet` };
    return { outcome: 'not_found', reason: `no vendor for subscription ${subscription.id}` };
  }

  /**
   * A plan's subscription (never an add-on's) applied in one statement with the caller's write, outside any
   * transaction (see SubscriptionWriter.applyStripeSubscriptionWith); answers the step's report.
   */
  applyPlanSubscriptionWith<R>(manager: EntityManager, subscription: Stripe.Subscription, stamp: StripeStamp, step: FusedStep, opts: { deleted?: boolean } = {}): Promise<R> {
    return this.writer.applyStripeSubscriptionWith<R>(manager, this.patchOf(subscription, opts.deleted), stamp, step);
  }

  private patchOf(subscription: Stripe.Subscription, deleted: boolean | undefined) {
    return toSubscriptionPatch(subscription, { deleted, now: this.clock.now() });
  }

  /**
   * What `applySubscription` would do with each of many subscriptions read at one stamp, in two reads and no
   * transaction: plans through the writer's `diffStripeSubscriptions`, the rest looked up among the add-ons.
   * Answers one entry per subscription, in order.
   */
  async diffSubscriptions(subscriptions: Stripe.Subscription[], stamp: StripeStamp): Promise<SubscriptionDiff[]> {
    const manager = this.dataSource.manager;
    const now = this.clock.now();
    const plans = subscriptions.filter((s) => !s.metadata?.addon_code);
    const diffs = await this.writer.diffStripeSubscriptions(manager, plans.map((s) => ({ patch: toSubscriptionPatch(s, { now }), stamp })));
    const planDiff = new Map(plans.map((s, i) => [s.id, diffs[i]]));
    const unmatched = subscriptions.filter((s) => (planDiff.get(s.id)?.outcome ?? 'not_found') === 'not_found').map((s) => s.id);
    const addOns = unmatched.length > 0 ? await this.addOns.linkedSubscriptionIds(manager, unmatched) : new Set<string>();
    return subscriptions.map((s): SubscriptionDiff => {
      const diff = planDiff.get(s.id);
      if (diff && diff.outcome !== 'not_found') return diff;
      return addOns.has(s.id) ? { outcome: 'add_on' } : { outcome: 'not_found' };
    });
  }

  /** The vendor's plan subscription as Stripe holds it now: the stored one, else the customer's newest plan. */
  async readVendorSubscription(vendorId: number): Promise<StripeRead> {
    // The read begins here: what the row observes after this moment (an event applied meanwhile) is newer than it.
    const [row] = await this.dataSource.query<{ stripe_customer_id: string | null; stripe_subscription_id: string | null; started_at: string }[]>(
      `SELECT stripe_customer_id, stripe_subscription_id, clock_timestamp()::text AS started_at FROM vendor_subscriptions WHERE vendor_id = $1`,
      [vendorId],
    );
    if (!row) throw new NotFoundError('Subscription');
    const readAt = this.clock.now();
    const startedAt = row.started_at;
    if (row.stripe_subscription_id) {
      const id = row.stripe_subscription_id;
      return { subscription: await this.stripe.call('read the subscription', (s) => s.subscriptions.retrieve(id)), readAt, startedAt };
    }
    if (!row.stripe_customer_id) return { subscription: null, reason: 'the vendor has no Stripe customer' };
    const customer = row.stripe_customer_id;
    const list = await this.stripe.call('list the subscriptions', (s) => s.subscriptions.list({ customer, status: 'all', limit: 20 }));
    // The newest plan subscription: an add-on bought before the plan was linked has a subscription too.
    const newest = list.data.filter((sub) => !sub.metadata?.addon_code).sort((x, y) => y.created - x.created)[0];
    return newest ? { subscription: newest, readAt, startedAt } : { subscription: null, reason: 'the Stripe customer has no subscription' };
  }

  /** Re-reads the vendor's Stripe subscription and applies it in a transaction of its own. */
  async syncVendorFromStripe(vendorId: number, onApplied?: (manager: EntityManager) => Promise<void>): Promise<SyncVendorResult> {
    const read = await this.readVendorSubscription(vendorId);
    if (!read.subscription) return { outcome: 'not_linked', reason: read.reason };
    const found = read.subscription;
    const result = await this.dataSource.transaction(async (manager) => {
      const applied = await this.applySubscription(manager, found, readStamp(read.readAt, read.startedAt));
      await onApplied?.(manager);
      return applied;
    });
    if (result.outcome === 'stale' || result.outcome === 'tie') stripeReadsSkippedTotal.inc({ source: 'sync' });
    this.logger.log({ vendor_id: vendorId, subscription_id: found.id, outcome: result.outcome, ...('reason' in result && { reason: result.reason }), msg: 'Synced the subscription from Stripe' });
    return { outcome: 'synced', subscriptionId: found.id, result };
  }

  /** The add-on a subscription pays for, as the add-on code applies it (see VendorAddOnRepository). */
  private async applyAddOnSubscription(manager: EntityManager, subscription: Stripe.Subscription, deleted: boolean): Promise<ApplySubscriptionResult | null> {
    const applied = await this.addOns.applyStripeSubscription(manager, subscription, { deleted });
    return applied && { outcome: 'applied_add_on', ...applied };
  }
}
