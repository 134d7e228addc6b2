import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { NotFoundError } from '@app/common';
import { Vendor } from '@app/platform';
import { SubscriptionService, TierService, type TierInfo, type VendorSubscription } from '@app/subscription';
import { DataSource } from 'typeorm';

export type BillingInterval = 'month' | 'year';
export const intervalOf = (isAnnual: boolean): BillingInterval => (isAnnual ? 'year' : 'month');

/** The rows every billing operation starts from: the vendor, its subscription, a tier it may move to. */
@Injectable()
export class BillingContext {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly subscriptions: SubscriptionService,
    private readonly tiers: TierService,
  ) {}

  subscription(vendorId: number): Promise<VendorSubscription> {
    return this.subscriptions.getSubscription(vendorId);
  }

  async vendor(vendorId: number): Promise<Vendor> {
    const vendor = await this.dataSource.getRepository(Vendor).findOneBy({ id: vendorId });
    if (!vendor) throw new NotFoundError('Vendor');
    return vendor;
  }

  /** A known, active tier; TIER_NOT_FOUND otherwise. */
  activeTier(code: string): Promise<TierInfo> {
    return this.tiers.getActiveTier(code);
  }

  /** Any tier a vendor may be on (for comparing against its current one), or null. */
  tier(code: string): Promise<TierInfo | null> {
    return this.tiers.findTier(code);
  }

  /** Every tier's metered overage price id (CONTRACT §12), to tell an invoice's overage line. */
  async overagePriceIds(): Promise<ReadonlySet<string>> {
    const tiers = await this.tiers.listAllTiers();
    return new Set(tiers.map((t) => t.stripeOveragePriceId).filter((id): id is string => id !== null));
  }

  priceIdOf(tier: TierInfo, isAnnual: boolean): string | null {
    return (isAnnual ? tier.stripePriceAnnualId : tier.stripePriceMonthlyId) ?? null;
  }
}

/** A subscription that still runs in Stripe (not cancelled or expired locally). */
export function hasLiveStripeSubscription(sub: VendorSubscription): sub is VendorSubscription & { stripeSubscriptionId: string } {
  return !!sub.stripeSubscriptionId && sub.status !== 'cancelled' && sub.status !== 'expired';
}
