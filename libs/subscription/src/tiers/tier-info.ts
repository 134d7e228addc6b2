import { DEFAULT_TIERS } from '@app/database';
import type { SubscriptionTier } from './subscription-tier.entity.js';

/** A tier as the rest of the system sees it, whether it came from the table or from the built-in defaults. */
export interface TierInfo {
  code: string;
  name: string;
  description: string;
  priceMonthlyCents: number | null;
  priceAnnualCents: number | null;
  currency: string;
  /** null = unlimited */
  productsLimit: number | null;
  ordersPerMonth: number | null;
  teamMembers: number | null;
  /** The price of one order past ordersPerMonth; null: a hard limit (CONTRACT §12). */
  ordersOveragePriceCents: number | null;
  stripeOveragePriceId: string | null;
  features: string[];
  stripeProductId: string | null;
  stripePriceMonthlyId: string | null;
  stripePriceAnnualId: string | null;
  displayOrder: number;
  isActive: boolean;
  /** false when the built-in defaults answered because the table has no such row. */
  fromDatabase: boolean;
}

export function tierFromEntity(t: SubscriptionTier): TierInfo {
  return {
    code: t.code,
    name: t.name,
    description: t.description,
    priceMonthlyCents: t.priceMonthlyCents,
    priceAnnualCents: t.priceAnnualCents,
    currency: t.currency,
    productsLimit: t.productsLimit,
    ordersPerMonth: t.ordersPerMonth,
    teamMembers: t.teamMembers,
    ordersOveragePriceCents: t.ordersOveragePriceCents,
    stripeOveragePriceId: t.stripeOveragePriceId,
    features: [...t.features],
    stripeProductId: t.stripeProductId,
    stripePriceMonthlyId: t.stripePriceMonthlyId,
    stripePriceAnnualId: t.stripePriceAnnualId,
    displayOrder: t.displayOrder,
    isActive: t.isActive,
    fromDatabase: true,
  };
}

export function defaultTier(code: string): TierInfo | null {
  const index = DEFAULT_TIERS.findIndex((t) => t.code === code);
  if (index < 0) return null;
  const t = DEFAULT_TIERS[index];
  return {
    ...t,
    features: [...t.features],
    currency: 'eur',
    ordersOveragePriceCents: null,
    stripeOveragePriceId: null,
    stripeProductId: null,
    stripePriceMonthlyId: null,
    stripePriceAnnualId: null,
    displayOrder: index + 1,
    isActive: true,
    fromDatabase: false,
  };
}

/**
 * The built-in limits as a jsonb parameter for the claim statements, so a vendor on a code the table lacks
 * is held to the default of that code (and an unknown code to nothing at all).
 */
export const DEFAULT_LIMITS_JSON = JSON.stringify(
  Object.fromEntries(DEFAULT_TIERS.map((t) => [t.code, { products: t.productsLimit, orders: t.ordersPerMonth, team_members: t.teamMembers }])),
);

/** Orders tiers from entry level up: display_order, then monthly price (a custom price ranks highest). */
export function compareTierRank(a: TierInfo, b: TierInfo): number {
  if (a.displayOrder !== b.displayOrder) return a.displayOrder - b.displayOrder;
  return (a.priceMonthlyCents ?? Number.MAX_SAFE_INTEGER) - (b.priceMonthlyCents ?? Number.MAX_SAFE_INTEGER);
}

/** What vendors and admins both see of a tier, snake_case (CONTRACT §5 `/tiers`). */
export interface TierPublicFields {
  code: string;
  name: string;
  description: string;
  price_monthly_cents: number | null;
  price_annual_cents: number | null;
  currency: string;
  products_limit: number | null;
  orders_per_month: number | null;
  team_members: number | null;
  features: string[];
}

export function toTierPublicFields(t: TierInfo): TierPublicFields {
  return {
    code: t.code,
    name: t.name,
    description: t.description,
    price_monthly_cents: t.priceMonthlyCents,
    price_annual_cents: t.priceAnnualCents,
    currency: t.currency,
    products_limit: t.productsLimit,
    orders_per_month: t.ordersPerMonth,
    team_members: t.teamMembers,
    features: [...t.features],
  };
}

/** The admin's view of a tier: every field, and where it came from. */
export interface AdminTierView extends TierPublicFields {
  orders_overage_price_cents: number | null;
  stripe_overage_price_id: string | null;
  stripe_product_id: string | null;
  stripe_price_monthly_id: string | null;
  stripe_price_annual_id: string | null;
  display_order: number;
  is_active: boolean;
  source: 'database' | 'default';
}

export function toAdminTierView(t: TierInfo): AdminTierView {
  return {
    ...toTierPublicFields(t),
    orders_overage_price_cents: t.ordersOveragePriceCents,
    stripe_overage_price_id: t.stripeOveragePriceId,
    stripe_product_id: t.stripeProductId,
    stripe_price_monthly_id: t.stripePriceMonthlyId,
    stripe_price_annual_id: t.stripePriceAnnualId,
    display_order: t.displayOrder,
    is_active: t.isActive,
    source: t.fromDatabase ? 'database' : 'default',
  };
}
