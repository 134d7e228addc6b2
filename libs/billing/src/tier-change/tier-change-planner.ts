import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { StripeService } from '@app/stripe';
import { overageOrdersSince, type TierInfo, type VendorSubscription } from '@app/subscription';
import { DataSource } from 'typeorm';
import { NoActiveSubscriptionError, StripePriceNotConfiguredError } from '../billing.errors.js';
import { BillingContext, intervalOf, type BillingInterval } from '../shared/billing-context.service.js';
import { idOf, isMeteredPrice, planItem } from '../webhooks/stripe-mapping.js';

export interface TierChangePlan {
  tier: TierInfo;
  isAnnual: boolean;
  interval: BillingInterval;
  priceId: string;
  /**
   * The tier's metered overage price that rides beside a monthly plan (CONTRACT §12), or null: the tier has none, or
   * the plan is annual (Stripe's classic billing mode keeps every item of a subscription on one interval, so annual
   * plans are hard-limited; see README "Limits and usage").
   */
  overagePriceId: string | null;
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
    @InjectDataSource() private readonly dataSource: DataSource,
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
    const overagePriceId = isAnnual ? null : tier.stripeOveragePriceId;
    return { tier, isAnnual, interval, priceId, overagePriceId, isUpgrade, prorationBehavior: isUpgrade ? 'always_invoice' : 'create_prorations' };
  }

  /**
   * The items a tier change sends (the preview and the change alike), from the subscription as Stripe holds it: the
   * plan's item (of the plan's price as last applied, `currentPriceId`, else the one `planItem` finds — an add-on
   * item may come first) moves to the new price; a metered item the new plan does not carry is deleted and the
   * target's metered price added where missing. A metered item taken off mid-period bills nothing at Stripe
   * (classic billing mode drops its usage), so the overage orders it counted since it started this period are
   * billed as an invoice item of the change (`usage`), at the price they were taken at.
   */
  async itemsChange(vendorId: number, stripeSubscriptionId: string, currentPriceId: string | null, plan: TierChangePlan): Promise<TierItemsChange> {
    const subscription = await this.stripe.call('read the subscription', (stripe) => stripe.subscriptions.retrieve(stripeSubscriptionId));
    const item = planItem(subscription, new Set(currentPriceId ? [currentPriceId] : []));
    if (!item) throw new NoActiveSubscriptionError('The Stripe subscription has no item to change.');
    const items: TierItemsChange['items'] = [{ id: item.id, price: plan.priceId }];
    const usage: TierItemsChange['usage'] = [];
    const metered = (subscription.items?.data ?? []).filter((i) => i.id !== item.id && isMeteredPrice(i.price));
    for (const old of metered) {
      if (idOf(old.price) === plan.overagePriceId) continue;
      items.push({ id: old.id, deleted: true });
      const since = new Date(Math.max(old.created, old.current_period_start) * 1000);
      const orders = await overageOrdersSince(this.dataSource, vendorId, since);
      const product = idOf(old.price.product);
      if (orders > 0 && product) {
        usage.push({ price_data: { currency: old.price.currency, product, unit_amount: old.price.unit_amount ?? 0 }, quantity: orders, metadata: { kind: OVERAGE_LINE_KIND } });
      }
    }
    if (plan.overagePriceId && !metered.some((i) => idOf(i.price) === plan.overagePriceId)) items.push({ price: plan.overagePriceId });
    return { items, usage };
  }
}

export interface TierItemsChange {
  items: Array<{ id?: string; price?: string; deleted?: boolean }>;
  /** What the removed metered items counted this period, as invoice items (`add_invoice_items` / a preview's `invoice_items`). */
  usage: Array<{ price_data: { currency: string; product: string; unit_amount: number }; quantity: number; metadata: { kind: string } }>;
}

/** The metadata `kind` of an invoice item that bills overage orders (the upcoming invoice labels its line). */
export const OVERAGE_LINE_KIND = 'overage_orders';

/** What a plan costs per year, to tell an upgrade from a downgrade (a custom-priced tier counts as the dearest). */
function yearlyCents(tier: TierInfo, isAnnual: boolean): number {
  const cents = isAnnual ? tier.priceAnnualCents : tier.priceMonthlyCents === null ? null : tier.priceMonthlyCents * 12;
  return cents ?? Number.MAX_SAFE_INTEGER;
}
