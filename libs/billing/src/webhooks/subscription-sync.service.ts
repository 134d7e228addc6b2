import { Injectable, Logger } from '@nestjs/common';
import { Clock, NotFoundError } from '@app/common';
import { queryRows } from '@app/database';
import { StripeService, type Stripe } from '@app/stripe';
import type { SubscriptionStatus } from '@app/subscription';
import { DataSource, type EntityManager } from 'typeorm';
import { VendorAddOnRepository } from '../add-ons/vendor-add-on.repository.js';
import { idOf, SqlParams } from './stripe-mapping.js';
import { DEAD_STRIPE_STATUSES, vendorRowOfSubscription, vendorSubscriptionSet } from './vendor-subscription.sql.js';

export interface ApplySubscriptionOptions {
  /** Stripe `created` of the event that carried the subscription: turns on the order check (older → skipped, tie → re-read). */
  eventCreatedAt?: Date;
  /** The subscription was just read from Stripe, so it is the truth now: applied without the order check. */
  fresh?: boolean;
  /**
   * With `fresh`: when it was read (the whole second before the read began), kept as the last applied event time,
   * so a webhook older than the read is skipped and one of the same second re-reads instead of applying its payload.
   */
  readAt?: Date;
}

export type ApplySubscriptionResult =
  | { outcome: 'applied'; target: 'vendor'; vendorId: number; status: SubscriptionStatus; reread: boolean }
  | { outcome: 'applied'; target: 'add_on'; vendorId: number; addOnId: number }
  | { outcome: 'skipped'; vendorId: number; reason: string }
  | { outcome: 'not_found'; reason: string };

export type SyncVendorResult =
  | { outcome: 'applied'; subscriptionId: string; result: ApplySubscriptionResult }
  | { outcome: 'not_linked'; reason: string };

interface VendorSubscriptionRow {
  id: number;
  vendor_id: number;
  status: SubscriptionStatus;
  stripe_subscription_id: string | null;
  last_stripe_event_at: Date | null;
}

/**
 * Maps a Stripe subscription onto our rows: the vendor's `vendor_subscriptions` row, or the add-on it pays for.
 * Shared by the webhook handlers, `POST /billing/sync` and the worker's `sync-stripe-status` job, so all three
 * apply Stripe's state the same way. Every write runs on the caller's EntityManager (its transaction).
 */
@Injectable()
export class SubscriptionSyncService {
  private readonly logger = new Logger(SubscriptionSyncService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly stripe: StripeService,
    private readonly clock: Clock,
    private readonly addOns: VendorAddOnRepository,
  ) {}

  /**
   * Applies `subscription` to the row found by its id, else by `metadata.vendor_id`, else by its customer.
   * With `eventCreatedAt`: a strictly older event than the last one applied is skipped; one of the same second
   * is settled by re-reading the subscription from Stripe and applying that instead of the payload.
   */
  async applyStripeSubscription(manager: EntityManager, subscription: Stripe.Subscription, opts: ApplySubscriptionOptions = {}): Promise<ApplySubscriptionResult> {
    const customerId = idOf(subscription.customer);
    // An add-on's subscription carries the vendor's id too; it must never be mistaken for the plan.
    const isAddOn = Boolean(subscription.metadata?.addon_code);
    const row = isAddOn ? undefined : await this.lockVendorRow(manager, subscription);
    if (!row) {
      const addOn = await this.applyAddOnSubscription(manager, subscription);
      if (addOn) return addOn;
      if (subscription.metadata?.addon_code) return { outcome: 'not_found', reason: `add-on subscription ${subscription.id} is not linked to a vendor add-on yet` };
      return { outcome: 'not_found', reason: `no vendor for subscription ${subscription.id} (customer ${customerId ?? 'none'})` };
    }

    if (row.stripe_subscription_id && row.stripe_subscription_id !== subscription.id && DEAD_STRIPE_STATUSES.has(subscription.status)) {
      return { outcome: 'skipped', vendorId: row.vendor_id, reason: `subscription ${subscription.id} (${subscription.status}) is not the vendor's current subscription ${row.stripe_subscription_id}` };
    }

    let current = subscription;
    let reread = false;
    const eventAt = opts.eventCreatedAt;
    if (eventAt && !opts.fresh && row.last_stripe_event_at) {
      const last = row.last_stripe_event_at.getTime();
      if (eventAt.getTime() < last) {
        return { outcome: 'skipped', vendorId: row.vendor_id, reason: `older than the last applied event (${eventAt.toISOString()} < ${row.last_stripe_event_at.toISOString()})` };
      }
      if (eventAt.getTime() === last) {
        // Stripe stamps whole seconds; two events of one second say nothing about their order. Ask Stripe.
        current = await this.stripe.call('re-read the subscription', (s) => s.subscriptions.retrieve(subscription.id));
        reread = true;
      }
    }

    const status = await this.writeVendorRow(manager, row, current, eventAt ?? opts.readAt);
    return { outcome: 'applied', target: 'vendor', vendorId: row.vendor_id, status, reread };
  }

  /**
   * Re-reads the vendor's Stripe subscription (the stored one, else the customer's newest) and applies it in one
   * transaction. Answers `not_linked` when the vendor has no Stripe customer or subscription yet.
   */
  async syncVendorFromStripe(vendorId: number): Promise<SyncVendorResult> {
    const [row] = await this.dataSource.query<{ stripe_customer_id: string | null; stripe_subscription_id: string | null }[]>(
      `SELECT stripe_customer_id, stripe_subscription_id FROM vendor_subscriptions WHERE vendor_id = $1`,
      [vendorId],
    );
    if (!row) throw new NotFoundError('Subscription');
    // Events created before this second are reflected in what the read returns (Stripe emits after it changes).
    const readAt = new Date(Math.floor(this.clock.now().getTime() / 1000) * 1000);
    let subscription: Stripe.Subscription | undefined;
    if (row.stripe_subscription_id) {
      const id = row.stripe_subscription_id;
      subscription = await this.stripe.call('read the subscription', (s) => s.subscriptions.retrieve(id));
    } else if (row.stripe_customer_id) {
      const customer = row.stripe_customer_id;
      const list = await this.stripe.call('list the subscriptions', (s) => s.subscriptions.list({ customer, status: 'all', limit: 20 }));
      // The newest plan subscription: an add-on bought before the plan was linked has a subscription too.
      subscription = list.data.filter((sub) => !sub.metadata?.addon_code).sort((x, y) => y.created - x.created)[0];
    }
    if (!subscription) return { outcome: 'not_linked', reason: row.stripe_customer_id ? 'the Stripe customer has no subscription' : 'the vendor has no Stripe customer' };
    const found = subscription;
    const result = await this.dataSource.transaction((manager) => this.applyStripeSubscription(manager, found, { fresh: true, readAt }));
    this.logger.log({ vendor_id: vendorId, subscription_id: found.id, outcome: result.outcome, msg: 'Synced the subscription from Stripe' });
    return { outcome: 'applied', subscriptionId: found.id, result };
  }

  /** The row the subscription belongs to, locked for this transaction; an add-on's subscription never matches. */
  private async lockVendorRow(manager: EntityManager, subscription: Stripe.Subscription): Promise<VendorSubscriptionRow | undefined> {
    const p = new SqlParams();
    const [row] = await queryRows<VendorSubscriptionRow>(
      manager,
      `SELECT id, vendor_id, status, stripe_subscription_id, last_stripe_event_at FROM vendor_subscriptions WHERE ${vendorRowOfSubscription(p, subscription)} FOR UPDATE`,
      p.values,
    );
    return row;
  }

  private async writeVendorRow(manager: EntityManager, row: VendorSubscriptionRow, subscription: Stripe.Subscription, eventAt: Date | undefined): Promise<SubscriptionStatus> {
    const p = new SqlParams();
    const set = vendorSubscriptionSet(p, subscription, this.clock.now(), eventAt);
    const [updated] = await queryRows<{ status: SubscriptionStatus }>(manager, `UPDATE vendor_subscriptions SET ${set} WHERE vendor_subscriptions.id = ${p.add(row.id, 'int')} RETURNING status`, p.values);
    return updated.status;
  }

  /** The add-on a subscription pays for, as the add-on code applies it (see VendorAddOnRepository). */
  private async applyAddOnSubscription(manager: EntityManager, subscription: Stripe.Subscription): Promise<ApplySubscriptionResult | null> {
    const applied = await this.addOns.applyStripeSubscription(manager, subscription);
    return applied && { outcome: 'applied', target: 'add_on', ...applied };
  }
}
