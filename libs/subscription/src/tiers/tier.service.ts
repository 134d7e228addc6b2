import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ConflictError, isUniqueViolation } from '@app/common';
import { DEFAULT_TIERS } from '@app/database';
import type { EntityManager, Repository } from 'typeorm';
import { TierNotFoundError } from '../subscription.errors.js';
import { SubscriptionTier } from './subscription-tier.entity.js';
import { compareTierRank, defaultTier, tierFromEntity, toAdminTierView, type AdminTierView, type TierInfo } from './tier-info.js';

/** The admin's view of a tier's editable fields (camelCase; the API maps its snake_case DTO onto it). */
export interface TierInput {
  code: string;
  name: string;
  description?: string;
  priceMonthlyCents?: number | null;
  priceAnnualCents?: number | null;
  currency?: string;
  productsLimit?: number | null;
  ordersPerMonth?: number | null;
  teamMembers?: number | null;
  ordersOveragePriceCents?: number | null;
  features?: string[];
  stripeProductId?: string | null;
  stripePriceMonthlyId?: string | null;
  stripePriceAnnualId?: string | null;
  displayOrder?: number;
  isActive?: boolean;
}

export type TierPatch = Partial<Omit<TierInput, 'code'>>;

/**
 * Tiers are rows; the built-in defaults answer for a code the table lacks. Nothing is cached: a tier read is
 * one indexed row, and an admin's change must hold from the next request on.
 */
@Injectable()
export class TierService {
  constructor(@InjectRepository(SubscriptionTier) private readonly tiers: Repository<SubscriptionTier>) {}

  /**
   * Any tier a vendor may be on, active or not; null when neither the table nor the defaults know the code. A caller
   * inside a transaction passes its manager: the read then runs on that connection, never on a second one.
   */
  async findTier(code: string, manager?: EntityManager): Promise<TierInfo | null> {
    const row = await (manager ? manager.getRepository(SubscriptionTier) : this.tiers).findOneBy({ code });
    return row ? tierFromEntity(row) : defaultTier(code);
  }

  /** Like findTier, but TIER_NOT_FOUND for an unknown code. */
  async getTier(code: string, manager?: EntityManager): Promise<TierInfo> {
    const tier = await this.findTier(code, manager);
    if (!tier) throw new TierNotFoundError(code);
    return tier;
  }

  /** A tier a vendor may move to now: known and active, else TIER_NOT_FOUND. */
  async getActiveTier(code: string, manager?: EntityManager): Promise<TierInfo> {
    const tier = await this.findTier(code, manager);
    if (!tier || !tier.isActive) throw new TierNotFoundError(code);
    return tier;
  }

  /** The active tiers by display order; a default the table lacks is listed too. */
  async listActiveTiers(): Promise<TierInfo[]> {
    return (await this.listAllTiers()).filter((t) => t.isActive);
  }

  /** Every tier, inactive ones included (admin). */
  async listAllTiers(manager?: EntityManager): Promise<TierInfo[]> {
    const rows = await (manager ? manager.getRepository(SubscriptionTier) : this.tiers).find({ order: { displayOrder: 'ASC', id: 'ASC' } });
    const known = new Set(rows.map((r) => r.code));
    const missing = DEFAULT_TIERS.filter((t) => !known.has(t.code)).map((t) => defaultTier(t.code)!);
    return [...rows.map(tierFromEntity), ...missing].sort(compareTierRank);
  }

  /** The code of the cheapest active tier that has the feature (custom-priced tiers last), or null. */
  async cheapestTierWithFeature(feature: string): Promise<string | null> {
    const withFeature = (await this.listActiveTiers()).filter((t) => t.features.includes(feature));
    withFeature.sort((a, b) => (a.priceMonthlyCents ?? Number.MAX_SAFE_INTEGER) - (b.priceMonthlyCents ?? Number.MAX_SAFE_INTEGER) || compareTierRank(a, b));
    return withFeature[0]?.code ?? null;
  }

  async createTier(input: TierInput): Promise<TierInfo> {
    try {
      const saved = await this.tiers.save(this.tiers.create({ ...input, features: input.features ?? [] }));
      return tierFromEntity(saved);
    } catch (error) {
      if (isUniqueViolation(error, 'uq_subscription_tiers_code')) throw new ConflictError(`A tier with code "${input.code}" exists.`, { field: 'code' });
      throw error;
    }
  }

  /**
   * A price change (CONTRACT §11) also forgets the Stripe price of that interval, unless the patch names one: Stripe
   * prices are immutable, so the old id bills the old amount, and a Checkout must not sell the new amount on it. Until
   * the catalog sync (at once when Stripe is configured, see CatalogSyncService.syncTierPrices) creates the new
   * price, Checkout for that interval answers STRIPE_PRICE_NOT_CONFIGURED. Vendors keep the price they pay.
   */
  async updateTier(code: string, patch: TierPatch): Promise<TierInfo> {
    const changes: Record<string, unknown> = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (Object.keys(changes).length > 0) {
      const found = await this.tiers.manager.transaction(async (m) => {
        const row = await m.getRepository(SubscriptionTier).findOne({ where: { code }, lock: { mode: 'pessimistic_write' } });
        if (!row) return false;
        if (patch.priceMonthlyCents !== undefined && patch.priceMonthlyCents !== row.priceMonthlyCents && patch.stripePriceMonthlyId === undefined) changes.stripePriceMonthlyId = null;
        if (patch.priceAnnualCents !== undefined && patch.priceAnnualCents !== row.priceAnnualCents && patch.stripePriceAnnualId === undefined) changes.stripePriceAnnualId = null;
        await m.getRepository(SubscriptionTier).update({ code }, changes);
        return true;
      });
      if (!found) throw new TierNotFoundError(code);
    }
    const row = await this.tiers.findOneBy({ code });
    if (!row) throw new TierNotFoundError(code);
    return tierFromEntity(row);
  }

  /** Whether a patch changes a price the catalog sells (the caller then has the catalog make the new Stripe price). */
  static changesPrice(before: Pick<TierInfo, 'priceMonthlyCents' | 'priceAnnualCents'>, after: Pick<TierInfo, 'priceMonthlyCents' | 'priceAnnualCents'>): boolean {
    return before.priceMonthlyCents !== after.priceMonthlyCents || before.priceAnnualCents !== after.priceAnnualCents;
  }

  /** Admin: every tier (inactive ones and defaults the table lacks included), by display order. */
  async listForAdmin(): Promise<AdminTierView[]> {
    return (await this.listAllTiers()).map(toAdminTierView);
  }

  async getForAdmin(code: string): Promise<AdminTierView> {
    return toAdminTierView(await this.getTier(code));
  }

  async createForAdmin(input: TierInput): Promise<AdminTierView> {
    return toAdminTierView(await this.createTier(input));
  }

  async updateForAdmin(code: string, patch: TierPatch): Promise<AdminTierView> {
    return toAdminTierView(await this.updateTier(code, patch));
  }
}
