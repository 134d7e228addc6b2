import { Injectable } from '@nestjs/common';
import { PlatformEventWriter } from '@app/platform-events';
import type { Stripe } from '@app/stripe';
import { SubscriptionWriter, type FusedStep, type StripeStamp } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import { AddOnGrantService } from '../add-ons/add-on-grant.service.js';
import { idOf, metadataVendorId } from './stripe-mapping.js';
import { readStamp } from './subscription-patch.js';
import { SubscriptionSyncService, type ApplySubscriptionResult } from './subscription-sync.service.js';
import { ignored, needsAttention, processed, type ClaimReport, type HandlerOutcome, type LedgerClaim, type Prefetched } from './webhook-handler.types.js';
import { REREAD_NOTE } from './webhook-ledger.js';

/** `checkout.session.completed|async_payment_succeeded` and `customer.subscription.*`. */
@Injectable()
export class SubscriptionEventHandlers {
  constructor(
    private readonly sync: SubscriptionSyncService,
    private readonly writer: SubscriptionWriter,
    private readonly addOns: AddOnGrantService,
    private readonly platformEvents: PlatformEventWriter,
  ) {}

  /**
   * created/updated/deleted: applied unless older than the last state applied to the plan; one of the same second
   * asks for a re-read (the caller reads Stripe outside the transaction and runs the event again with it).
   */
  async subscriptionChanged(manager: EntityManager, event: Stripe.Event, subscription: Stripe.Subscription, prefetched: Prefetched): Promise<HandlerOutcome> {
    const { applied, stamp, deleted } = subscriptionToApply(event, subscription, prefetched);
    const result = await this.sync.applySubscription(manager, applied, stamp, { deleted });
    if (result.outcome === 'tie') return { status: 'reread', subscriptionId: subscription.id };
    return this.outcomeOf(manager, applied.id, result, prefetched.subscription ? REREAD_NOTE : undefined);
  }

  /**
   * The same for a plan's subscription, in one statement with the ledger's claim (`step`) outside any transaction;
   * answers the claim's report (the claim's outcome follows from the writer's verdict).
   */
  planSubscriptionChanged<R>(manager: EntityManager, event: Stripe.Event, subscription: Stripe.Subscription, prefetched: Prefetched, step: FusedStep): Promise<R> {
    const { applied, stamp, deleted } = subscriptionToApply(event, subscription, prefetched);
    return this.sync.applyPlanSubscriptionWith<R>(manager, applied, stamp, step, { deleted });
  }

  /**
   * A plan's completed Checkout (`metadata.tier_code`): link the customer to the vendor and apply the subscription
   * as Stripe holds it now (read before the transaction).
   */
  async checkoutCompleted(manager: EntityManager, event: Stripe.Event, session: Stripe.Checkout.Session, prefetched: Prefetched): Promise<HandlerOutcome> {
    const vendorId = metadataVendorId(session.metadata);
    if (!vendorId) return ignored(`checkout session ${session.id} carries no metadata.vendor_id`);
    if (!(await this.writer.findVendorOf(manager, { subscriptionId: null, customerId: null, vendorId }))) return ignored(`checkout session ${session.id}: unknown vendor ${vendorId}`);
    if (session.mode !== 'subscription' || !prefetched.subscription) return ignored(`checkout session ${session.id} has neither a subscription nor an add-on`);
    const subscription = prefetched.subscription;
    const customerId = idOf(session.customer) ?? idOf(subscription.customer);
    if (customerId) await this.writer.linkStripeCustomer(manager, vendorId, customerId);
    const result = await this.sync.applySubscription(manager, subscription, readStamp(prefetched.readAt!, prefetched.startedAt));
    return this.outcomeOf(manager, subscription.id, result);
  }

  /**
   * A subscription read from Stripe for an event that needed it (an invoice of a subscription not linked yet),
   * applied as any read is: it links the vendor, unless the row observed something newer since the read began.
   */
  async applyRead(manager: EntityManager, prefetched: Prefetched): Promise<void> {
    await this.sync.applySubscription(manager, prefetched.subscription!, readStamp(prefetched.readAt!, prefetched.startedAt));
  }

  /** An expired Checkout frees the domain its add-on held (the add-on code decides). */
  checkoutExpired(manager: EntityManager, session: Stripe.Checkout.Session): Promise<HandlerOutcome> {
    return this.addOns.checkoutExpired(manager, session);
  }

  /**
   * An add-on's completed Checkout: the add-on code grants it (or records it `needs_attention`) in one statement
   * with the ledger's claim; its subscription, if any, was read from Stripe first. Answers the claim's report.
   */
  addOnCheckoutCompleted(manager: EntityManager, session: Stripe.Checkout.Session, prefetched: Prefetched, claim: LedgerClaim): Promise<ClaimReport> {
    return this.addOns.recordCheckoutPurchase(manager, { vendorId: metadataVendorId(session.metadata), session, subscription: prefetched.subscription ?? null }, claim);
  }

  /**
   * What the ledger records for an applied subscription. A second live plan subscription is reported to admins once
   * (`needs_attention` and the platform event, in the caller's transaction); later events of it are recorded skips.
   */
  private async outcomeOf(manager: EntityManager, subscriptionId: string, result: ApplySubscriptionResult, appliedNote?: string): Promise<HandlerOutcome> {
    if (result.outcome !== 'second_live') return outcomeOf(result, appliedNote);
    const data = { stripe_subscription_id: subscriptionId, reason: result.reason };
    const reported = await this.platformEvents.recordSubscriptionNeedsAttention(manager, result.vendorId, data);
    return reported ? needsAttention(result.reason) : processed(`skipped (reported before): ${result.reason}`);
  }
}

/** The subscription a `customer.subscription.*` event applies: the one re-read after a tie, else the event's own. */
function subscriptionToApply(event: Stripe.Event, subscription: Stripe.Subscription, prefetched: Prefetched): { applied: Stripe.Subscription; stamp: StripeStamp; deleted?: boolean } {
  if (prefetched.subscription) return { applied: prefetched.subscription, stamp: readStamp(prefetched.readAt!, prefetched.startedAt) };
  return { applied: subscription, stamp: { kind: 'event', at: new Date(event.created * 1000) }, deleted: event.type === 'customer.subscription.deleted' };
}

function outcomeOf(result: ApplySubscriptionResult, appliedNote?: string): HandlerOutcome {
  switch (result.outcome) {
    case 'applied':
    case 'applied_add_on':
      return processed(appliedNote);
    case 'stale':
    case 'not_current':
    case 'second_live':
    case 'tie':
      return processed(`skipped: ${result.reason}`);
    case 'not_found':
      return ignored(result.reason);
  }
}
