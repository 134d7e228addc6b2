import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { queryRows } from '@app/database';
import type { Stripe } from '@app/stripe';
import { addMonths, SubscriptionWriter } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import { idOf, metadataVendorId, subscriptionPeriod } from './stripe-mapping.js';
import { readStamp } from './subscription-patch.js';
import { SubscriptionSyncService, type ApplySubscriptionResult } from './subscription-sync.service.js';
import { ignored, processed, type HandlerOutcome, type Prefetched } from './webhook-handler.types.js';

/** `checkout.session.completed|async_payment_succeeded` and `customer.subscription.*`. */
@Injectable()
export class SubscriptionEventHandlers {
  constructor(
    private readonly sync: SubscriptionSyncService,
    private readonly writer: SubscriptionWriter,
    private readonly clock: Clock,
  ) {}

  /**
   * created/updated/deleted: applied unless older than the last state applied to the plan; one of the same second
   * asks for a re-read (the caller reads Stripe outside the transaction and runs the event again with it).
   */
  async subscriptionChanged(manager: EntityManager, event: Stripe.Event, subscription: Stripe.Subscription, prefetched: Prefetched): Promise<HandlerOutcome> {
    const deleted = event.type === 'customer.subscription.deleted';
    const result = prefetched.subscription
      ? await this.sync.applySubscription(manager, prefetched.subscription, readStamp(prefetched.readAt!))
      : await this.sync.applySubscription(manager, subscription, { kind: 'event', at: new Date(event.created * 1000) }, { deleted });
    if (result.outcome === 'tie') return { status: 'reread', subscriptionId: subscription.id };
    return outcomeOf(result, prefetched.subscription ? 'same-second tie: applied the subscription as Stripe holds it now' : undefined);
  }

  /**
   * A completed Checkout: for a plan (`metadata.tier_code`), link the customer to the vendor and apply the
   * subscription as Stripe holds it now (read before the transaction); for an add-on, create the add-on.
   */
  async checkoutCompleted(manager: EntityManager, event: Stripe.Event, session: Stripe.Checkout.Session, prefetched: Prefetched): Promise<HandlerOutcome> {
    const vendorId = metadataVendorId(session.metadata);
    if (!vendorId) return ignored(`checkout session ${session.id} carries no metadata.vendor_id`);
    const addOnCode = session.metadata?.addon_code;
    if (addOnCode && session.mode === 'payment' && session.payment_status === 'unpaid') {
      // A delayed payment method (a bank debit): the add-on starts when Stripe reports the payment, not before.
      return ignored(`checkout session ${session.id}: the payment is still pending`);
    }
    if (!(await this.writer.findVendorOf(manager, { subscriptionId: null, customerId: null, vendorId }))) return ignored(`checkout session ${session.id}: unknown vendor ${vendorId}`);
    if (addOnCode) return this.addOnPurchased(manager, vendorId, addOnCode, session, prefetched.subscription);

    if (session.mode !== 'subscription' || !prefetched.subscription) return ignored(`checkout session ${session.id} has neither a subscription nor an add-on`);
    const subscription = prefetched.subscription;
    const customerId = idOf(session.customer) ?? idOf(subscription.customer);
    if (customerId) await this.writer.linkStripeCustomer(manager, vendorId, customerId);
    const result = await this.sync.applySubscription(manager, subscription, readStamp(prefetched.readAt!));
    return outcomeOf(result);
  }

  /** One add-on row per Checkout session (its id is unique), with the domain, quantity and period bought. */
  private async addOnPurchased(manager: EntityManager, vendorId: number, code: string, session: Stripe.Checkout.Session, subscription: Stripe.Subscription | undefined): Promise<HandlerOutcome> {
    const [product] = await queryRows<{ id: number; billing_period: 'month' | 'year' }>(
      manager,
      `SELECT id, billing_period FROM add_on_products WHERE code = $1`,
      [code],
    );
    if (!product) return ignored(`checkout session ${session.id}: unknown add-on ${code}`);

    const now = this.clock.now();
    const domain = (session.metadata?.domain_name ?? session.metadata?.domain ?? '').trim().toLowerCase() || null;
    let quantity = Math.max(1, Number.parseInt(session.metadata?.quantity ?? '1', 10) || 1);
    let period = { start: now, end: addMonths(now, product.billing_period === 'year' ? 12 : 1) };
    const subscriptionId = session.mode === 'subscription' ? idOf(session.subscription) : null;
    if (subscription) {
      period = subscriptionPeriod(subscription) ?? period;
      quantity = subscription.items?.data?.[0]?.quantity ?? quantity;
    }
    const inserted = await queryRows<{ id: number }>(
      manager,
      `INSERT INTO vendor_add_ons (vendor_id, add_on_product_id, status, domain_name, quantity, stripe_subscription_id,
                                   stripe_checkout_session_id, period_start, period_end, created_at, updated_at)
       VALUES ($1, $2, 'active', $3, $4, $5, $6, $7, $8, $9, $9)
       ON CONFLICT (stripe_checkout_session_id) DO NOTHING
       RETURNING id`,
      [vendorId, product.id, domain, quantity, subscriptionId, session.id, period.start, period.end, now],
    );
    return processed(inserted.length ? undefined : `add-on of checkout session ${session.id} already exists`);
  }
}

function outcomeOf(result: ApplySubscriptionResult, appliedNote?: string): HandlerOutcome {
  switch (result.outcome) {
    case 'applied':
    case 'applied_add_on':
      return processed(appliedNote);
    case 'stale':
    case 'not_current':
    case 'tie':
      return processed(`skipped: ${result.reason}`);
    case 'not_found':
      return ignored(result.reason);
  }
}
