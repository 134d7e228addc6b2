import type { LimitType } from '../subscription.errors.js';
import { compareTierRank, toTierPublicFields, type TierInfo, type TierPublicFields } from '../tiers/tier-info.js';
import type { VendorSubscription } from './vendor-subscription.entity.js';

/**
 * A usage meter: `percent` is null when the limit is (null =) unlimited. `threshold_reached`: the highest usage
 * threshold (80 or 100 %) reported this period (a `usage.threshold_reached` event) that usage still meets — an
 * upgrade or deleted products clear the notice; null when none.
 */
export interface UsageMeter {
  current: number;
  limit: number | null;
  percent: number | null;
  threshold_reached: 80 | 100 | null;
}

/**
 * This period's overage of orders (CONTRACT §12): on a tier that prices overage, or when the period has some.
 * `cap_cents` null: no cap. `price_per_unit_cents` null: orders past the limit are refused (the tier prices no
 * overage, or the vendor's Stripe subscription does not carry its metered price: a trial, an annual plan, an older one).
 */
export interface OverageView {
  count: number;
  amount_cents: number;
  cap_cents: number | null;
  price_per_unit_cents: number | null;
}

/** The thresholds reported this period, per meter (from the platform events outbox). */
export type ReachedThresholds = Partial<Record<LimitType, number[]>>;

/** CONTRACT §5 `GET /api/v1/vendor/billing/subscription`. */
export interface SubscriptionView {
  tier: { code: string; name: string };
  status: string;
  is_annual: boolean;
  trial_ends_at: string | null;
  period_start: string;
  period_end: string;
  /** The cancellation is scheduled for the period's end (however Stripe was asked: `cancel_at_period_end` or `cancel_at`). */
  cancel_at_period_end: boolean;
  /** When a scheduled cancellation takes effect (at the period's end or on another date); null when none is. */
  cancel_at: string | null;
  cancelled_at: string | null;
  has_payment_method: boolean;
  /** When the plan stops unless renewed: a scheduled cancellation's end, a trial without a card's end; else null. */
  ends_at: string | null;
  past_due_since: string | null;
  features: string[];
  usage: { products: UsageMeter; orders: UsageMeter & { overage?: OverageView }; team_members: UsageMeter };
  /**
   * The price the vendor's Stripe subscription bills (CONTRACT §11), or null without one. `grandfathered`: it differs
   * from the tier's list price for the interval (the vendor keeps an older price until a migration moves it).
   */
  price: { amount_cents: number | null; currency: string; stripe_price_id: string | null; grandfathered: boolean } | null;
  /** A price migration's coming change: the new amount from `effective_at` (the first invoice at it); else null. */
  price_change: { new_amount_cents: number; currency: string; effective_at: string } | null;
}

/** CONTRACT §5 `GET /api/v1/vendor/billing/tiers`, one entry. */
export interface TierView extends TierPublicFields {
  is_current: boolean;
  can_upgrade: boolean;
  can_downgrade: boolean;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * When a scheduled cancellation takes effect: Stripe's `cancel_at` when it names another date than the period's end;
 * else a local trial (no Stripe subscription) ends with the trial, anything else with its period. The cancel route's
 * `effective_date` and the view's `ends_at` both come from here.
 */
export function scheduledCancellationEnd(sub: VendorSubscription): Date {
  if (sub.cancelAt) return sub.cancelAt;
  return sub.status === 'trial' && sub.trialEndsAt && !sub.stripeSubscriptionId ? sub.trialEndsAt : sub.periodEnd;
}

/** Whether a cancellation is scheduled (at the period's end or on another date). */
export function hasScheduledCancellation(sub: VendorSubscription): boolean {
  return sub.cancelAtPeriodEnd || sub.cancelAt !== null;
}

/** The `ends_at` of the view: the date the plan stops unless something renews it, or null when it renews. */
function planEndsAt(sub: VendorSubscription): Date | null {
  if (sub.status === 'expired') return null;
  if (sub.status === 'cancelled') return sub.periodEnd;
  if (hasScheduledCancellation(sub)) return scheduledCancellationEnd(sub);
  if (sub.status === 'trial' && !sub.hasPaymentMethod) return sub.trialEndsAt;
  return null;
}

export function usageMeter(current: number, limit: number | null, reported: number[] = []): UsageMeter {
  if (limit === null) return { current, limit, percent: null, threshold_reached: null };
  const percent = limit === 0 ? (current > 0 ? 100 : 0) : Math.round((current / limit) * 1000) / 10;
  const met = reported.filter((t): t is 80 | 100 => (t === 80 || t === 100) && current >= (t === 100 ? limit : Math.ceil(limit * 0.8)));
  return { current, limit, percent, threshold_reached: met.length > 0 ? (Math.max(...met) as 80 | 100) : null };
}

/**
 * The overage of `sub`'s current period (the counters read as zero once the period moved past them, as in the
 * claim), or undefined on a tier without an overage price and none this period. The cap as the claim holds it.
 */
export function overageView(sub: VendorSubscription, tier: TierInfo, opts: { always?: boolean } = {}): OverageView | undefined {
  const inPeriod = sub.overagePeriodStart !== null && new Date(sub.overagePeriodStart) >= new Date(sub.periodStart);
  const count = inPeriod ? sub.overageOrders : 0;
  if (tier.ordersOveragePriceCents === null && count === 0 && !opts.always) return undefined;
  const cap = sub.overageCapMode === 'none' ? null : sub.overageCapMode === 'custom' ? Number(sub.overageCapCents) : (tier.priceMonthlyCents ?? 0);
  // The price applies as the claim applies it: only while the Stripe subscription carries the tier's metered price.
  const billed = sub.stripeSubscriptionId !== null && !sub.isAnnual && tier.stripeOveragePriceId !== null && (sub.stripeItemPriceIds ?? []).includes(tier.stripeOveragePriceId);
  return { count, amount_cents: inPeriod ? Number(sub.overageAmountCents) : 0, cap_cents: cap, price_per_unit_cents: billed ? tier.ordersOveragePriceCents : null };
}

const withOverage = (meter: UsageMeter, overage: OverageView | undefined) => (overage ? { ...meter, overage } : meter);

/** What the vendor's Stripe subscription bills, against the tier's list price for its interval. */
export function priceView(sub: VendorSubscription, tier: TierInfo): SubscriptionView['price'] {
  if (!sub.stripeSubscriptionId) return null;
  const listed = sub.isAnnual ? tier.priceAnnualCents : tier.priceMonthlyCents;
  const amount = sub.stripePriceAmountCents;
  return { amount_cents: amount, currency: tier.currency, stripe_price_id: sub.stripePriceId, grandfathered: amount !== null && listed !== null && amount !== listed };
}

export function toSubscriptionView(sub: VendorSubscription, tier: TierInfo, reached: ReachedThresholds = {}, priceChange: SubscriptionView['price_change'] = null): SubscriptionView {
  return {
    tier: { code: tier.code, name: tier.name },
    status: sub.status,
    is_annual: sub.isAnnual,
    trial_ends_at: iso(sub.trialEndsAt),
    period_start: iso(sub.periodStart)!,
    period_end: iso(sub.periodEnd)!,
    cancel_at_period_end: sub.cancelAtPeriodEnd,
    cancel_at: sub.status !== 'cancelled' && sub.status !== 'expired' && hasScheduledCancellation(sub) ? iso(scheduledCancellationEnd(sub)) : null,
    cancelled_at: iso(sub.cancelledAt),
    has_payment_method: sub.hasPaymentMethod,
    ends_at: iso(planEndsAt(sub)),
    past_due_since: iso(sub.pastDueSince),
    features: [...tier.features],
    usage: {
      products: usageMeter(sub.productsCount, tier.productsLimit, reached.products),
      orders: withOverage(usageMeter(sub.ordersThisPeriod, tier.ordersPerMonth, reached.orders), overageView(sub, tier)),
      team_members: usageMeter(sub.teamMembersCount, tier.teamMembers, reached.team_members),
    },
    price: priceView(sub, tier),
    price_change: priceChange,
  };
}

/** Upgrade/downgrade by rank (display_order, then price), relative to the vendor's current tier. */
export function toTierView(tier: TierInfo, current: TierInfo): TierView {
  const rank = tier.code === current.code ? 0 : compareTierRank(tier, current);
  return {
    ...toTierPublicFields(tier),
    is_current: tier.code === current.code,
    can_upgrade: rank > 0,
    can_downgrade: rank < 0,
  };
}
