/** CONTRACT §9: the event types, one closed list (writers, the admin filter and the docs read it). */
export const PLATFORM_EVENT_TYPES = ['usage.threshold_reached', 'usage.overage_started', 'trial.ending', 'subscription.updated', 'subscription.price_changing', 'subscription.needs_attention', 'payment.failed', 'addon.needs_attention'] as const;
export type PlatformEventType = (typeof PLATFORM_EVENT_TYPES)[number];

export const PLATFORM_EVENT_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type PlatformEventStatus = (typeof PLATFORM_EVENT_STATUSES)[number];

/** The meters a usage threshold is reported for, and the thresholds (percent of the limit). */
export const USAGE_METERS = ['products', 'orders', 'team_members'] as const;
export type UsageMeterName = (typeof USAGE_METERS)[number];
export const USAGE_THRESHOLDS = [80, 100] as const;
export type UsageThreshold = (typeof USAGE_THRESHOLDS)[number];

export interface PaymentFailedData {
  invoice_id: string;
  amount_due_cents: number;
  attempt_count: number;
  next_payment_attempt: string | null;
}

/** A price migration scheduled the vendor's new price (CONTRACT §11): the notice, sent before Stripe is told. */
export interface SubscriptionPriceChangingData {
  tier_code: string;
  is_annual: boolean;
  old_amount_cents: number | null;
  new_amount_cents: number;
  currency: string;
  /** The first renewal at least the migration's notice ahead: the first invoice at the new price. */
  effective_at: string;
  migration_id: number;
}

/** A second live plan subscription (or another plan state admins must settle): nothing moved locally because of it. */
export interface SubscriptionNeedsAttentionData {
  stripe_subscription_id: string;
  reason: string;
}

export interface AddonNeedsAttentionData {
  addon_code: string;
  domain_name: string | null;
  checkout_session_id: string | null;
  reason: string;
}

/** The body POSTed to the receiver (§9). */
export interface PlatformEventBody {
  id: string;
  type: string;
  created_at: string;
  vendor_id: number;
  data: Record<string, unknown>;
}

/** One event as admins see it (`GET /api/v1/admin/platform-events`). */
export interface PlatformEventView extends PlatformEventBody {
  status: PlatformEventStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  delivered_at: string | null;
}
