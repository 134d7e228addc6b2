import { Injectable } from '@nestjs/common';
import { StripeService, type Stripe } from '@app/stripe';
import type { TierInfo, VendorSubscription } from '@app/subscription';
import { NoActiveSubscriptionError, StripePriceNotConfiguredError } from '../billing.errors.js';
import { BillingContext, intervalOf, type BillingInterval } from '../shared/billing-context.service.js';
import { planItem } from '../webhooks/stripe-mapping.js';

export interface TierChangePlan {
  tier: TierInfo;
  isAnnual: boolean;
  interval: BillingInterval;
  priceId: string;
  /** Dearer per year than the current plan. */
  isUpgrade: boolean;
  prorationBehavior: 'always_invoice' | 'create_prorations';
}

/**
 * What a tier change means in Stripe, shared by the preview and the change itself so that both ask Stripe the
 * same question. Proration: an upgrade is invoiced and charged at once (`always_invoice`), so nobody uses a dearer
 * plan unpaid until the next renewal; a downgrade leaves its credit on the next invoice (`create_prorations`).
 */
@Injectable()
export class TierChangePlanner {
  constructor(
    private readonly context: BillingContext,
    private readonly stripe: StripeService,
  ) {}

  async plan(sub: VendorSubscription, tierCode: string, isAnnual: boolean): Promise<TierChangePlan> {
    const tier = await this.context.activeTier(tierCode);
    const interval = intervalOf(isAnnual);
    const priceId = this.context.priceIdOf(tier, isAnnual);
    if (!priceId) throw new StripePriceNotConfiguredError(`The tier "${tier.code}"`, interval);
    const current = await this.context.tier(sub.tierCode);
    const isUpgrade = yearlyCents(tier, isAnnual) > (current ? yearlyCents(current, sub.isAnnual) : 0);
    return { tier, isAnnual, interval, priceId, isUpgrade, prorationBehavior: isUpgrade ? 'always_invoice' : 'create_prorations' };
  }

  /**
   * The plan's item of a tier subscription, read from Stripe (its id is what a price change addresses): the item of
   * the plan's price as last applied (`currentPriceId`), else the one `planItem` finds — an add-on item may come first.
   */
  async subscriptionItem(stripeSubscriptionId: string, currentPriceId: string | null): Promise<Stripe.SubscriptionItem> {
    const subscription = await this.stripe.call('read the subscription', (stripe) => stripe.subscriptions.retrieve(stripeSubscriptionId));
    const item = planItem(subscription, new Set(currentPriceId ? [currentPriceId] : []));
    if (!item) throw new NoActiveSubscriptionError('The Stripe subscription has no item to change.');
    return item;
  }
}

/** What a plan costs per year, to tell an upgrade from a downgrade (a custom-priced tier counts as the dearest). */
function yearlyCents(tier: TierInfo, isAnnual: boolean): number {
  const cents = isAnnual ? tier.priceAnnualCents : tier.priceMonthlyCents === null ? null : tier.priceMonthlyCents * 12;
  return cents ?? Number.MAX_SAFE_INTEGER;
}
