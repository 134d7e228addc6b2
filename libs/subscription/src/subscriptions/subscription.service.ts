import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Clock, NotFoundError } from '@app/common';
import type { EntityManager, Repository } from 'typeorm';
import { platformEventKeyExistsSql, usageThresholdKeySql } from '@app/platform-events';
import { FeatureNotAvailableError, type LimitType, type LimitViolation } from '../subscription.errors.js';
import type { TierInfo } from '../tiers/tier-info.js';
import { TierService } from '../tiers/tier.service.js';
import { tierViolations } from '../limits/usage-fits-tier.js';
import { addDays, periodEndFrom } from './subscription-period.js';
import { overageView, toSubscriptionView, toTierView, type OverageView, type ReachedThresholds, type SubscriptionView, type TierView } from './subscription-view.js';
import { VendorSubscription } from './vendor-subscription.entity.js';
import { PriceMigrationService } from '../price-migrations/price-migration.service.js';

export const DEFAULT_TIER_CODE = 'essential';

/**
 * A vendor's subscription, its tier and its usage. The limit claims live in LimitService; tier rows in
 * TierService (the tier reads are repeated here so billing needs one service).
 */
@Injectable()
export class SubscriptionService {
  constructor(
    private readonly config: ConfigService,
    private readonly clock: Clock,
    private readonly tierService: TierService,
    @InjectRepository(VendorSubscription) private readonly subscriptions: Repository<VendorSubscription>,
    private readonly priceMigrations: PriceMigrationService,
  ) {}

  /**
   * The subscription of a new vendor: the default tier, in trial for STRIPE_TRIAL_DAYS, one monthly period,
   * and the owner already counted as a team member. Runs in the signup transaction.
   */
  async startTrial(manager: EntityManager, vendorId: number): Promise<VendorSubscription> {
    const now = this.clock.now();
    const trialDays = this.config.get<number>('STRIPE_TRIAL_DAYS', 30);
    return manager.getRepository(VendorSubscription).save({
      vendorId,
      tierCode: DEFAULT_TIER_CODE,
      status: 'trial',
      isAnnual: false,
      trialEndsAt: addDays(now, trialDays),
      periodStart: now,
      periodEnd: periodEndFrom(now, false),
      teamMembersCount: 1,
    });
  }

  /** Any tier a vendor may be on (table, else built-in default); TIER_NOT_FOUND when neither knows it. */
  getTier(code: string): Promise<TierInfo> {
    return this.tierService.getTier(code);
  }

  /** A tier a vendor may move to: known and active, else TIER_NOT_FOUND. */
  getActiveTier(code: string): Promise<TierInfo> {
    return this.tierService.getActiveTier(code);
  }

  listActiveTiers(): Promise<TierInfo[]> {
    return this.tierService.listActiveTiers();
  }

  cheapestTierWithFeature(feature: string): Promise<string | null> {
    return this.tierService.cheapestTierWithFeature(feature);
  }

  /** The vendor's subscription row; NOT_FOUND when it has none. Pass a manager to read inside a transaction. */
  async getSubscription(vendorId: number, manager?: EntityManager): Promise<VendorSubscription> {
    const repo = manager ? manager.getRepository(VendorSubscription) : this.subscriptions;
    const sub = await repo.findOneBy({ vendorId });
    if (!sub) throw new NotFoundError('Subscription');
    return sub;
  }

  /** CONTRACT §5 `/subscription`: plan, status, period, features and usage meters. */
  async getSubscriptionView(vendorId: number): Promise<SubscriptionView> {
    const sub = await this.getSubscription(vendorId);
    const [tier, reached, priceChange] = await Promise.all([
      this.tierOf(sub), this.reachedThresholds(vendorId), sub.stripeSubscriptionId ? this.priceMigrations.priceChangeFor(vendorId) : null,
    ]);
    return toSubscriptionView(sub, tier, reached, priceChange);
  }

  /** The current period's overage as /subscription shows it, on any tier (a hard-limited one: nothing, no price). */
  async getOverageView(vendorId: number): Promise<OverageView> {
    const sub = await this.getSubscription(vendorId);
    const tier = await this.tierOf(sub);
    return overageView(sub, tier, { always: true })!;
  }

  /** The usage thresholds reported in the vendor's current period: six lookups on the outbox's unique key. */
  private async reachedThresholds(vendorId: number): Promise<ReachedThresholds> {
    const key = usageThresholdKeySql('s.vendor_id', 'm.meter', 'm.threshold', 's.period_start');
    const rows = await this.subscriptions.query<Array<{ meter: LimitType; threshold: number }>>(
      `SELECT m.meter, m.threshold FROM vendor_subscriptions s
         CROSS JOIN (VALUES ('products', 80), ('products', 100), ('orders', 80), ('orders', 100), ('team_members', 80), ('team_members', 100)) AS m(meter, threshold)
        WHERE s.vendor_id = $1 AND ${platformEventKeyExistsSql(key)}`,
      [vendorId],
    );
    const reached: ReachedThresholds = {};
    for (const r of rows) (reached[r.meter] ??= []).push(r.threshold);
    return reached;
  }

  /** CONTRACT §5 `/tiers`: the active tiers by display order, each relative to the vendor's tier. */
  async listTiersFor(vendorId: number): Promise<TierView[]> {
    const sub = await this.getSubscription(vendorId);
    const [current, tiers] = await Promise.all([this.tierOf(sub), this.tierService.listActiveTiers()]);
    return tiers.map((t) => toTierView(t, current));
  }

  /** Each counter above the target tier's limit (empty: the move is allowed). TIER_NOT_FOUND for an unknown code. */
  async findLimitViolations(vendorId: number, tierCode: string, manager?: EntityManager): Promise<LimitViolation[]> {
    // In a caller's transaction one after the other on its connection; else both at once on the pool.
    const [, target] = manager
      ? [await this.getSubscription(vendorId, manager), await this.tierService.getTier(tierCode, manager)]
      : await Promise.all([this.getSubscription(vendorId), this.tierService.getTier(tierCode)]);
    return tierViolations(manager ?? this.subscriptions.manager, vendorId, target.code);
  }

  /** Whether the vendor's tier includes a feature. */
  async hasFeature(vendorId: number, feature: string): Promise<boolean> {
    const sub = await this.getSubscription(vendorId);
    return (await this.tierOf(sub)).features.includes(feature);
  }

  /** FEATURE_NOT_AVAILABLE (with the cheapest tier that has it) unless the vendor's tier includes the feature. */
  async assertFeature(vendorId: number, feature: string): Promise<void> {
    if (await this.hasFeature(vendorId, feature)) return;
    throw new FeatureNotAvailableError(feature, await this.tierService.cheapestTierWithFeature(feature));
  }

  /** A subscriber keeps its tier even after the tier is deactivated; an unknown code reads as an empty tier. */
  private async tierOf(sub: VendorSubscription): Promise<TierInfo> {
    return (
      (await this.tierService.findTier(sub.tierCode)) ?? {
        code: sub.tierCode, name: sub.tierCode, description: '', priceMonthlyCents: null, priceAnnualCents: null, currency: 'eur',
        productsLimit: 0, ordersPerMonth: 0, teamMembers: 0, ordersOveragePriceCents: null, stripeOveragePriceId: null, features: [], stripeProductId: null, stripePriceMonthlyId: null,
        stripePriceAnnualId: null, displayOrder: 0, isActive: false, fromDatabase: false,
      }
    );
  }
}
