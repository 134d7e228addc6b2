import type { SubscriptionStatus } from './vendor-subscription.entity.js';

/**
 * The plan types shared by SubscriptionWriter and the SQL expressions of a patch (stripe-patch-expressions.ts), in
 * a file of their own so neither imports the other for them.
 */

/**
 * What a Stripe subscription says about a vendor's plan, as plain values (billing builds it with a pure function
 * from the Stripe object). `status: null` keeps ours (Stripe's `incomplete`, `paused`).
 */
export interface StripeSubscriptionPatch {
  subscriptionId: string;
  customerId: string | null;
  /** `metadata.vendor_id`, when it is a positive integer. */
  vendorId: number | null;
  /** The plan item's price. */
  priceId: string | null;
  /** That price's `unit_amount` (cents): what the vendor pays, grandfathered or not (null: unknown, or no price). */
  priceAmountCents: number | null;
  /** Every item's price id, the plan item's first: the tier is the first one's a tier row knows (a plan on any item). */
  priceIds: string[];
  /** `metadata.tier_code`: the tier when no tier row carries the price id. */
  tierCode: string | null;
  /** The price's interval is a year (null: no price). */
  isAnnual: boolean | null;
  status: SubscriptionStatus | null;
  /** The subscription no longer stands for a plan (canceled, incomplete_expired, incomplete). */
  ended: boolean;
  trialEndsAt: Date | null;
  period: { start: Date; end: Date } | null;
  /** A cancellation at the period's end (`cancel_at_period_end`, or a `cancel_at` that falls on the period's end). */
  cancelAtPeriodEnd: boolean;
  /** A cancellation scheduled for another date (Stripe's `cancel_at`); null when none or at the period's end. */
  cancelAt: Date | null;
  cancelledAt: Date | null;
  /** When an ended subscription stopped: access ends then, not at the end of the period it had paid. */
  endedAt: Date | null;
  hasPaymentMethod: boolean;
}

/**
 * How new the patch is. `event`: Stripe's `created` of the event that carried it — an older one than the last
 * applied is stale, one of the same second is a tie (the caller re-reads Stripe and applies that as a `read`).
 * `read`: the whole second in which the object was read from Stripe (or returned by a write) — it is stale when an
 * event of a later second was applied meanwhile. `startedAt` (a read of Stripe: /sync, reconciliation, a tie's
 * re-read): the database's `clock_timestamp()` when the read began, as PostgreSQL's text (microseconds kept); the
 * read is stale unless it began after the row's `observed_watermark` (an event applied, or a read begun, later).
 */
export type StripeStamp = { kind: 'event' | 'read'; at: Date; startedAt?: string };

/** The columns that tell whether a plan changed, as the writer reports them. */
export interface PlanState {
  tier_code: string;
  is_annual: boolean;
  status: SubscriptionStatus;
  trial_ends_at: Date | null;
  period_start: Date;
  period_end: Date;
  cancel_at_period_end: boolean;
  cancel_at: Date | null;
  cancelled_at: Date | null;
  stripe_subscription_id: string | null;
  stripe_customer_id: string | null;
  stripe_price_id: string | null;
  has_payment_method: boolean;
  past_due_since: Date | null;
  payment_retry_count: number;
  orders_this_period: number;
}
