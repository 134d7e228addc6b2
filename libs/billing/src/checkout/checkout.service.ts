import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { Clock, ConflictError, ValidationFailedError } from '@app/common';
import { StripeService, type Stripe } from '@app/stripe';
import { StripePriceNotConfiguredError } from '../billing.errors.js';
import { StripeCustomerService } from '../customers/stripe-customer.service.js';
import { BillingContext, hasLiveStripeSubscription, intervalOf } from '../shared/billing-context.service.js';
import { BillingUrls, toUnixSeconds } from '../shared/billing-urls.js';

export interface CheckoutSessionView {
  checkout_url: string;
  session_id: string;
}

/** Stripe refuses a Checkout `subscription_data.trial_end` less than 48 hours ahead. */
const MIN_TRIAL_END_AHEAD_MS = 48 * 3_600_000;

/**
 * The idempotency key of a Checkout session: the client's `Idempotency-Key` (scoped to the vendor and to what is
 * bought, so one key cannot replay another vendor's or another plan's session), else a fresh one, so a vendor who
 * opens Checkout twice gets two sessions.
 */
export function checkoutIdempotencyKey(vendorId: number, purchase: string, clientKey: string | undefined): string {
  if (clientKey === undefined) return `checkout:vendor:${vendorId}:${purchase}:${randomUUID()}`;
  if (!/^[\x21-\x7e]{1,128}$/.test(clientKey)) {
    throw ValidationFailedError.forField('Idempotency-Key', 'The Idempotency-Key header must be 1 to 128 visible ASCII characters.');
  }
  return `checkout:vendor:${vendorId}:${purchase}:${clientKey}`;
}

/** Stripe Checkout for a tier: the vendor pays there, the webhook (or POST /sync) records the subscription. */
@Injectable()
export class CheckoutService {
  private readonly automaticTax: boolean;

  constructor(
    private readonly context: BillingContext,
    private readonly customers: StripeCustomerService,
    private readonly stripe: StripeService,
    private readonly urls: BillingUrls,
    private readonly clock: Clock,
    config: ConfigService,
  ) {
    this.automaticTax = config.get<boolean>('STRIPE_AUTOMATIC_TAX', false) === true;
  }

  async createTierCheckout(vendorId: number, input: { tierCode: string; isAnnual: boolean }, clientKey?: string): Promise<CheckoutSessionView> {
    this.stripe.assertConfigured();
    const tier = await this.context.activeTier(input.tierCode);
    const interval = intervalOf(input.isAnnual);
    const price = this.context.priceIdOf(tier, input.isAnnual);
    if (!price) throw new StripePriceNotConfiguredError(`The tier "${tier.code}"`, interval);
    const idempotencyKey = checkoutIdempotencyKey(vendorId, `tier:${tier.code}:${interval}`, clientKey);

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
      line_items: [{ price, quantity: 1 }],
      ...this.urls.checkoutReturn(vendor.code),
      metadata,
      subscription_data: { metadata, ...(trialEnd && { trial_end: toUnixSeconds(trialEnd) }) },
      ...this.taxParams(),
    };
    const session = await this.stripe.call('open Checkout', (stripe) => stripe.checkout.sessions.create(params, { idempotencyKey }));
    return { checkout_url: session.url ?? '', session_id: session.id };
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
