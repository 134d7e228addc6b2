import type { Stripe } from '@app/stripe';
import type { StripeStamp, StripeSubscriptionPatch } from '@app/subscription';
import { fromUnix, idOf, mapSubscriptionStatus, metadataVendorId, scheduledCancellation, subscriptionPeriod, subscriptionPrice, subscriptionPriceIds } from './stripe-mapping.js';

/** Stripe states after which a subscription no longer stands for the vendor's plan. */
const ENDED_STATUSES: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired', 'incomplete']);

/**
 * What a Stripe subscription says about the vendor's plan, for the subscription lib's writer. Pure: the same
 * object gives the same patch, whatever brought it (an operation's answer, a webhook, /sync, reconciliation).
 * `deleted` (a `customer.subscription.deleted` event) is final whatever the payload's status says.
 */
export function toSubscriptionPatch(subscription: Stripe.Subscription, opts: { deleted?: boolean; now: Date }): StripeSubscriptionPatch {
  const stripeStatus = opts.deleted ? 'canceled' : subscription.status;
  const status = mapSubscriptionStatus(stripeStatus) ?? null;
  const price = subscriptionPrice(subscription);
  const cancellation = scheduledCancellation(subscription);
  return {
    subscriptionId: subscription.id,
    customerId: idOf(subscription.customer),
    vendorId: metadataVendorId(subscription.metadata),
    priceId: price?.id ?? null,
    priceAmountCents: typeof price?.unit_amount === 'number' ? price.unit_amount : null,
    priceIds: subscriptionPriceIds(subscription),
    tierCode: subscription.metadata?.tier_code || null,
    isAnnual: price?.recurring ? price.recurring.interval === 'year' : null,
    status,
    ended: ENDED_STATUSES.has(stripeStatus),
    trialEndsAt: fromUnix(subscription.trial_end),
    period: subscriptionPeriod(subscription),
    cancelAtPeriodEnd: cancellation.atPeriodEnd,
    cancelAt: status !== 'cancelled' ? cancellation.at : null,
    cancelledAt: fromUnix(subscription.canceled_at) ?? (status === 'cancelled' ? (fromUnix(subscription.ended_at) ?? opts.now) : null),
    endedAt: status === 'cancelled' ? fromUnix(subscription.ended_at) : null,
    hasPaymentMethod: Boolean(subscription.default_payment_method) || Boolean(subscription.default_source) || stripeStatus === 'active',
  };
}

/**
 * The whole second in which Stripe's answer was asked for: events of earlier seconds are older than it. A read of
 * Stripe (not an operation's answer) also carries `databaseStart`, the database's clock when it began (see
 * StripeStamp): it applies only over a row that observed nothing since.
 */
export function readStamp(startedAt: Date, databaseStart?: string): StripeStamp {
  return { kind: 'read', at: new Date(Math.floor(startedAt.getTime() / 1000) * 1000), ...(databaseStart && { startedAt: databaseStart }) };
}

/** The statement that reads the database's clock when a read of Stripe begins (text: microseconds kept). */
export const READ_START_SQL = `SELECT clock_timestamp()::text AS started_at`;
