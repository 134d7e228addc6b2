import { DEFAULT_TIERS } from '@app/database';
import type { Stripe } from '@app/stripe';
import { fromUnix, idOf, mapSubscriptionStatus, metadataVendorId, subscriptionPeriod, subscriptionPrice, type SqlParams } from './stripe-mapping.js';

/**
 * SQL parts that write a Stripe subscription onto a `vendor_subscriptions` row. They are plain expressions over
 * the row's current columns, so the same write serves the one-statement fast path of a webhook and the
 * transactional path (ties, skips, syncs) alike.
 */

/** Stripe states after which a subscription no longer stands for the vendor's plan. */
export const DEAD_STRIPE_STATUSES: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired', 'incomplete']);

/**
 * The condition that selects the vendor's row of a subscription: by its id, else the metadata's vendor id, else
 * its customer; never when the subscription pays for an add-on.
 */
export function vendorRowOfSubscription(p: SqlParams, subscription: Stripe.Subscription): string {
  const id = p.add(subscription.id, 'varchar');
  return `vendor_subscriptions.id = COALESCE(
            (SELECT id FROM vendor_subscriptions WHERE stripe_subscription_id = ${id}),
            (SELECT id FROM vendor_subscriptions WHERE vendor_id = ${p.add(metadataVendorId(subscription.metadata), 'int')}),
            (SELECT id FROM vendor_subscriptions WHERE stripe_customer_id = ${p.add(idOf(subscription.customer), 'varchar')}))
          AND NOT EXISTS (SELECT 1 FROM vendor_add_ons WHERE stripe_subscription_id = ${id})`;
}

/**
 * The SET list: tier from the price id (either interval), else `metadata.tier_code` with the price's interval;
 * status mapped (`incomplete` keeps ours); `past_due_since` from entering past_due until leaving it; the period
 * of the items, which for the same subscription only moves forward (a late update must not undo a renewal), and a
 * period that moves forward resets `orders_this_period`; `last_stripe_event_at` never goes back.
 */
export function vendorSubscriptionSet(p: SqlParams, subscription: Stripe.Subscription, now: Date, eventAt: Date | undefined): string {
  const price = subscriptionPrice(subscription);
  const period = subscriptionPeriod(subscription);
  const mapped = mapSubscriptionStatus(subscription.status) ?? null;
  const metaTier = subscription.metadata?.tier_code || null;
  const priceId = p.add(price?.id ?? null, 'varchar');
  const tierOfPrice = `(SELECT t.code FROM subscription_tiers t WHERE t.stripe_price_monthly_id = ${priceId} OR t.stripe_price_annual_id = ${priceId} ORDER BY t.is_active DESC, t.id LIMIT 1)`;
  const annualOfPrice = `(SELECT t.stripe_price_annual_id IS NOT DISTINCT FROM ${priceId} FROM subscription_tiers t WHERE t.stripe_price_monthly_id = ${priceId} OR t.stripe_price_annual_id = ${priceId} ORDER BY t.is_active DESC, t.id LIMIT 1)`;
  const meta = p.add(metaTier, 'varchar');
  const metaKnown = `COALESCE((SELECT t.code FROM subscription_tiers t WHERE t.code = ${meta}), CASE WHEN ${p.add(DEFAULT_TIERS.some((t) => t.code === metaTier), 'boolean')} THEN ${meta} END)`;
  const newStatus = `COALESCE(${p.add(mapped, 'varchar')}, vendor_subscriptions.status)`;
  const subId = p.add(subscription.id, 'varchar');
  const start = p.add(period?.start ?? null, 'timestamptz');
  const end = p.add(period?.end ?? null, 'timestamptz');
  const movesPeriod = `(${start} IS NOT NULL AND (vendor_subscriptions.stripe_subscription_id IS DISTINCT FROM ${subId} OR ${start} >= vendor_subscriptions.period_start))`;
  const trialEnd = p.add(fromUnix(subscription.trial_end), 'timestamptz');
  const cancelledAt = fromUnix(subscription.canceled_at) ?? (mapped === 'cancelled' ? (fromUnix(subscription.ended_at) ?? now) : null);
  const hasPaymentMethod = Boolean(subscription.default_payment_method) || Boolean(subscription.default_source) || subscription.status === 'active';
  const nowP = p.add(now, 'timestamptz');
  return `
    tier_code = COALESCE(${tierOfPrice}, ${metaKnown}, vendor_subscriptions.tier_code),
    is_annual = COALESCE(${annualOfPrice}, CASE WHEN ${metaKnown} IS NOT NULL THEN ${p.add(price?.recurring?.interval === 'year', 'boolean')} END, vendor_subscriptions.is_annual),
    status = ${newStatus},
    trial_ends_at = COALESCE(${trialEnd}, CASE WHEN ${newStatus} = 'trial' THEN vendor_subscriptions.trial_ends_at END),
    period_start = CASE WHEN ${movesPeriod} THEN ${start} ELSE vendor_subscriptions.period_start END,
    period_end = CASE WHEN ${movesPeriod} THEN ${end} ELSE vendor_subscriptions.period_end END,
    orders_this_period = CASE WHEN ${movesPeriod} AND ${start} > vendor_subscriptions.period_start THEN 0 ELSE vendor_subscriptions.orders_this_period END,
    cancel_at_period_end = ${p.add(subscription.cancel_at_period_end === true, 'boolean')},
    cancelled_at = ${p.add(cancelledAt, 'timestamptz')},
    stripe_customer_id = COALESCE(${p.add(idOf(subscription.customer), 'varchar')}, vendor_subscriptions.stripe_customer_id),
    stripe_subscription_id = ${subId},
    stripe_price_id = COALESCE(${priceId}, vendor_subscriptions.stripe_price_id),
    has_payment_method = vendor_subscriptions.has_payment_method OR ${p.add(hasPaymentMethod, 'boolean')},
    past_due_since = CASE WHEN ${newStatus} = 'past_due' THEN COALESCE(vendor_subscriptions.past_due_since, ${nowP}) END,
    payment_retry_count = CASE WHEN vendor_subscriptions.status = 'past_due' AND ${newStatus} <> 'past_due' THEN 0 ELSE vendor_subscriptions.payment_retry_count END,
    last_stripe_event_at = GREATEST(vendor_subscriptions.last_stripe_event_at, ${p.add(eventAt ?? null, 'timestamptz')}),
    updated_at = ${nowP}`;
}
