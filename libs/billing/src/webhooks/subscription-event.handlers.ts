import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { queryRows } from '@app/database';
import { StripeService, type Stripe } from '@app/stripe';
import type { EntityManager } from 'typeorm';
import { AddOnGrantService } from '../add-ons/add-on-grant.service.js';
import { idOf, metadataVendorId } from './stripe-mapping.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';
import { ignored, processed, type HandlerOutcome } from './webhook-handler.types.js';

/** `checkout.session.completed` and `customer.subscription.*`. */
@Injectable()
export class SubscriptionEventHandlers {
  constructor(
    private readonly sync: SubscriptionSyncService,
    private readonly stripe: StripeService,
    private readonly clock: Clock,
    private readonly addOns: AddOnGrantService,
  ) {}

  /** created/updated/deleted: applied when not older than the last event applied to that subscription. */
  async subscriptionChanged(manager: EntityManager, event: Stripe.Event, subscription: Stripe.Subscription): Promise<HandlerOutcome> {
    // A deletion is final whatever the payload says; a tie re-reads and Stripe will say `canceled` as well.
    const payload = event.type === 'customer.subscription.deleted' ? { ...subscription, status: 'canceled' as const } : subscription;
    const result = await this.sync.applyStripeSubscription(manager, payload, { eventCreatedAt: new Date(event.created * 1000) });
    switch (result.outcome) {
      case 'applied':
        return processed(result.target === 'vendor' && result.reread ? 'same-second tie: applied the subscription as Stripe holds it now' : undefined);
      case 'skipped':
        return processed(`skipped: ${result.reason}`);
      case 'not_found':
        return ignored(result.reason);
    }
  }

  /**
   * A completed Checkout: for a plan (`metadata.tier_code`), link the customer and subscription to the vendor and
   * apply the subscription as Stripe holds it now; for an add-on (`metadata.addon_code`), create the add-on.
   */
  async checkoutCompleted(manager: EntityManager, event: Stripe.Event, session: Stripe.Checkout.Session): Promise<HandlerOutcome> {
    const vendorId = metadataVendorId(session.metadata);
    if (!vendorId) return ignored(`checkout session ${session.id} carries no metadata.vendor_id`);
    const [vendor] = await queryRows<{ id: number }>(manager, `SELECT id FROM vendor_subscriptions WHERE vendor_id = $1 FOR UPDATE`, [vendorId]);
    if (!vendor) return ignored(`checkout session ${session.id}: unknown vendor ${vendorId}`);

    const addOnCode = session.metadata?.addon_code;
    if (addOnCode && session.mode === 'payment' && session.payment_status === 'unpaid') {
      // A delayed payment method (a bank debit): the add-on starts when Stripe reports the payment, not before.
      return ignored(`checkout session ${session.id}: the payment is still pending`);
    }
    if (addOnCode) return this.addOnPurchased(manager, vendorId, addOnCode, session);

    const subscriptionId = idOf(session.subscription);
    if (session.mode !== 'subscription' || !subscriptionId) return ignored(`checkout session ${session.id} has neither a subscription nor an add-on`);
    const subscription = await this.stripe.call('read the subscription of the checkout', (s) => s.subscriptions.retrieve(subscriptionId));
    // The customer is linked here; the subscription id is set by applying the subscription (found by vendor id).
    await manager.query(
      `UPDATE vendor_subscriptions SET stripe_customer_id = COALESCE($2, stripe_customer_id), updated_at = $3 WHERE id = $1`,
      [vendor.id, idOf(session.customer) ?? idOf(subscription.customer), this.clock.now()],
    );
    const result = await this.sync.applyStripeSubscription(manager, subscription, { eventCreatedAt: new Date(event.created * 1000), fresh: true });
    return result.outcome === 'applied' ? processed() : ignored(result.outcome === 'skipped' || result.outcome === 'not_found' ? result.reason : 'not applied');
  }

  /** The add-on code grants it (or records it `needs_attention`); its subscription is read from Stripe first. */
  private async addOnPurchased(manager: EntityManager, vendorId: number, _code: string, session: Stripe.Checkout.Session): Promise<HandlerOutcome> {
    const subscriptionId = session.mode === 'subscription' ? idOf(session.subscription) : null;
    const subscription = subscriptionId ? await this.stripe.call('read the add-on subscription', (s) => s.subscriptions.retrieve(subscriptionId)) : null;
    return this.addOns.recordCheckoutPurchase(manager, { vendorId, session, subscription });
  }
}
