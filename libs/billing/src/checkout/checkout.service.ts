import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock, ConflictError } from '@app/common';
import { PaymentProviderError, StripeService, type Stripe } from '@app/stripe';
import type { TierInfo } from '@app/subscription';
import { StripePriceNotConfiguredError } from '../billing.errors.js';
import { StripeCustomerService } from '../customers/stripe-customer.service.js';
import { BillingOperationsService } from '../operations/billing-operations.service.js';
import { BillingContext, hasLiveStripeSubscription, intervalOf } from '../shared/billing-context.service.js';
import { BillingUrls, toUnixSeconds } from '../shared/billing-urls.js';

export interface CheckoutSessionView {
  checkout_url: string;
  session_id: string;
}

/** Stripe refuses a Checkout `subscription_data.trial_end` less than 48 hours ahead. */
const MIN_TRIAL_END_AHEAD_MS = 48 * 3_600_000;

/** Stripe Checkout for a tier: the vendor pays there, the webhook (or POST /sync) records the subscription. */
@Injectable()
export class CheckoutService {
  private readonly logger = new Logger(CheckoutService.name);
  private readonly automaticTax: boolean;

  constructor(
    private readonly context: BillingContext,
    private readonly customers: StripeCustomerService,
    private readonly operations: BillingOperationsService,
    private readonly stripe: StripeService,
    private readonly urls: BillingUrls,
    private readonly clock: Clock,
    config: ConfigService,
  ) {
    this.automaticTax = config.get<boolean>('STRIPE_AUTOMATIC_TAX', false) === true;
  }

  /**
   * An operation of the vendor's queue: a client's Idempotency-Key (or the same request within seconds) gets the
   * same session back; any other request opens a new one.
   */
  async createTierCheckout(vendorId: number, input: { tierCode: string; isAnnual: boolean }, clientKey?: string): Promise<CheckoutSessionView> {
    this.stripe.assertConfigured();
    const tier = await this.context.activeTier(input.tierCode);
    const interval = intervalOf(input.isAnnual);
    const price = this.context.priceIdOf(tier, input.isAnnual);
    if (!price) throw new StripePriceNotConfiguredError(`The tier "${tier.code}"`, interval);
    return this.operations.run({ vendorId, kind: 'checkout', params: { tier_code: tier.code, is_annual: input.isAnnual }, clientKey }, (op) =>
      this.openTierCheckout(vendorId, tier, input.isAnnual, price, op.idempotencyKey),
    );
  }

  private async openTierCheckout(vendorId: number, tier: TierInfo, isAnnual: boolean, price: string, idempotencyKey: string): Promise<CheckoutSessionView> {
    const input = { isAnnual };
    const sub = await this.context.subscription(vendorId);
    if (hasLiveStripeSubscription(sub)) {
      throw new ConflictError('This vendor already has a Stripe subscription; change its tier with POST /change-tier instead.', { stripe_subscription_id: sub.stripeSubscriptionId });
    }
    const vendor = await this.context.vendor(vendorId);
    const customer = await this.customers.ensureCustomer(vendorId);

    const now = this.clock.now();
    const trialEnd = sub.status === 'trial' && sub.trialEndsAt && sub.trialEndsAt.getTime() - now.getTime() >= MIN_TRIAL_END_AHEAD_MS ? sub.trialEndsAt : null;
    const metadata = { vendor_id: String(vendorId), tier_code: tier.code, is_annual: String(input.isAnnual) };
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'subscription',
      customer,
      client_reference_id: String(vendorId),
      // A monthly plan on a tier that prices overage carries the tier's metered price (CONTRACT §12): Stripe bills
      // the overage meter's sum at each invoice. An annual plan has no monthly metered item (items share one interval).
      line_items: [{ price, quantity: 1 }, ...(!isAnnual && tier.stripeOveragePriceId ? [{ price: tier.stripeOveragePriceId }] : [])],
      ...this.urls.checkoutReturn(vendor.code),
      metadata,
      subscription_data: { metadata, ...(trialEnd && { trial_end: toUnixSeconds(trialEnd) }) },
      ...this.taxParams(),
    };
    const session = await this.stripe.call('open Checkout', (stripe) => stripe.checkout.sessions.create(params, { idempotencyKey }));
    await this.expireEarlierPlanCheckouts(vendorId, customer, session.id, idempotencyKey);
    return { checkout_url: session.url ?? '', session_id: session.id };
  }

  /**
   * One live plan per vendor (CONTRACT §5): the vendor's other open plan Checkouts are expired in Stripe, so a link
   * from before can no longer be paid. After the new one is opened, so a retry of this operation (which gets the
   * same session back from Stripe) never expires its own. A failure fails the operation: its retry converges.
   * One that was paid meanwhile cannot be expired; its subscription, if it goes live beside the plan, is reported
   * to admins by the webhook path.
   */
  private async expireEarlierPlanCheckouts(vendorId: number, customer: string, keep: string, idempotencyKey: string): Promise<void> {
    const open = await this.stripe.call('list the open Checkouts', (stripe) => stripe.checkout.sessions.list({ customer, status: 'open', limit: 100 }));
    const earlier = open.data.filter(
      (s) => s.id !== keep && s.status === 'open' && s.mode === 'subscription' && Boolean(s.metadata?.tier_code) && s.metadata?.vendor_id === String(vendorId),
    );
    for (const { id } of earlier) {
      try {
        await this.stripe.call('expire the earlier Checkout', (stripe) => stripe.checkout.sessions.expire(id, {}, { idempotencyKey: `${idempotencyKey}:expire:${id}` }));
        this.logger.log({ vendor_id: vendorId, checkout_session_id: id, msg: 'Expired the vendor\'s earlier plan Checkout' });
      } catch (error) {
        // Stripe refuses to expire a session that is no longer open (paid or expired meanwhile): that is all this asked.
        if (!(error instanceof PaymentProviderError) || error.details?.status !== 400) throw error;
        const now = await this.stripe.call('read the earlier Checkout', (stripe) => stripe.checkout.sessions.retrieve(id));
        if (now.status === 'open') throw error;
      }
    }
  }

  /**
   * With STRIPE_AUTOMATIC_TAX: Stripe computes tax from the billing address and collects tax ids; for an existing
   * customer it may only do so when Checkout is allowed to save the address and name it collects on the customer.
   */
  taxParams(): Pick<Stripe.Checkout.SessionCreateParams, 'automatic_tax' | 'tax_id_collection' | 'customer_update' | 'billing_address_collection'> {
    if (!this.automaticTax) return {};
    return {
      automatic_tax: { enabled: true },
      tax_id_collection: { enabled: true },
      customer_update: { address: 'auto', name: 'auto' },
      billing_address_collection: 'required',
    };
  }
}
