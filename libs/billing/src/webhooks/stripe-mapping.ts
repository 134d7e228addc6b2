import type { Stripe } from '@app/stripe';
import type { SubscriptionStatus } from '@app/subscription';

/** Stripe's subscription status in ours; `undefined` leaves our status as it is (`incomplete`, `paused`). */
export function mapSubscriptionStatus(status: Stripe.Subscription.Status): SubscriptionStatus | undefined {
  switch (status) {
    case 'trialing':
      return 'trial';
    case 'active':
      return 'active';
    case 'past_due':
    case 'unpaid':
      return 'past_due';
    case 'canceled':
      return 'cancelled';
    case 'incomplete_expired':
      return 'expired';
    default:
      return undefined;
  }
}

/** A Stripe unix timestamp (seconds) as a Date; null stays null. */
export function fromUnix(seconds: number | null | undefined): Date | null {
  return typeof seconds === 'number' ? new Date(seconds * 1000) : null;
}

/** The id of an expandable Stripe field (a string id, an expanded object, or null). */
export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === 'string' ? value : value.id;
}

/** Since API 2025-03-31 the period lives on each item; the subscription's period is the first item's. */
export function subscriptionPeriod(subscription: Stripe.Subscription): { start: Date; end: Date } | null {
  const item = subscription.items?.data?.[0];
  const start = fromUnix(item?.current_period_start);
  const end = fromUnix(item?.current_period_end);
  return start && end && end > start ? { start, end } : null;
}

export function subscriptionPrice(subscription: Stripe.Subscription): Stripe.Price | null {
  return subscription.items?.data?.[0]?.price ?? null;
}

/** The vendor id carried in Stripe metadata, when it is a positive integer. */
export function metadataVendorId(metadata: Stripe.Metadata | null | undefined): number | null {
  const raw = metadata?.vendor_id;
  if (!raw || !/^\d{1,9}$/.test(raw)) return null;
  const id = Number(raw);
  return id > 0 ? id : null;
}

/** The subscription an invoice belongs to (API 2025-03-31+: under `parent.subscription_details`). */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  return idOf(invoice.parent?.subscription_details?.subscription ?? null);
}
