import type { Stripe } from '@app/stripe';
import type { SubscriptionStatus } from '@app/subscription';

/*
 * Where each field the product reads lives, in every API version from 2020-08-27 to the SDK's pinned one (CONTRACT
 * §6). Events reach us in the webhook endpoint's version, which may be older than the SDK's, so the SDK's types
 * describe only the newest shape; the older fields are read through the `Legacy*` views below. One function per
 * field, each with its spec (stripe-mapping.spec.ts, on Stripe's own example objects).
 */

/** Fields of a subscription that API versions before 2025-03-31 carry at the top (moved onto the items since). */
type LegacySubscription = Stripe.Subscription & { current_period_start?: number | null; current_period_end?: number | null };
/** Before 2025-03-31 an invoice names its subscription at the top, with `subscription_details.metadata` beside it. */
type LegacyInvoice = Stripe.Invoice & {
  subscription?: string | Stripe.Subscription | null;
  subscription_details?: { metadata?: Stripe.Metadata | null } | null;
};
/** Before 2025-03-31 a line says `type: 'subscription'` and `proration` at the top. */
type LegacyLine = Stripe.InvoiceLineItem & { type?: string; proration?: boolean };

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
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000) : null;
}

/** The id of an expandable Stripe field (a string id, an expanded object, or null). */
export function idOf(value: string | { id?: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === 'string' ? value : (value.id ?? null);
}

/** An expandable field's object when it was expanded (else null: a plain id says nothing more). */
function expanded<T extends object>(value: string | T | null | undefined): T | null {
  return value && typeof value === 'object' ? value : null;
}

/** A price's own marks of what it sells: our catalog's lookup key (`tier:…`, `addon:…`) or metadata, its own or its product's. */
function priceMarks(price: Stripe.Price | string | null | undefined): { plan: boolean; addOn: boolean } {
  const p = expanded(price);
  const product = expanded(p?.product as Stripe.Product | string | null | undefined);
  const key = p?.lookup_key ?? '';
  return {
    plan: key.startsWith('tier:') || Boolean(p?.metadata?.tier_code) || Boolean(product?.metadata?.tier_code),
    addOn: key.startsWith('addon:') || Boolean(p?.metadata?.addon_code) || Boolean(product?.metadata?.addon_code),
  };
}

/**
 * The item that carries the plan. Whichever item holds a price known as a plan's (`knownPlanPrices`, when the caller
 * has them, or a price marked as a tier's by our catalog); else the first item not marked as an add-on's; else the
 * first. Subscriptions may carry an add-on item before the plan's.
 */
export function planItem(subscription: Stripe.Subscription, knownPlanPrices?: ReadonlySet<string>): Stripe.SubscriptionItem | null {
  const all = subscription.items?.data ?? [];
  // A tier's metered overage item (CONTRACT §12) rides beside the plan and is never the plan.
  const items = all.filter((item) => !isMeteredPrice(item.price));
  return (
    (knownPlanPrices && items.find((item) => knownPlanPrices.has(idOf(item.price) ?? ''))) ||
    items.find((item) => priceMarks(item.price).plan) ||
    items.find((item) => !priceMarks(item.price).addOn) ||
    items[0] ||
    all[0] ||
    null
  );
}

/** A metered price (usage_type metered): Stripe bills what its Billing Meter summed, in arrears. */
export function isMeteredPrice(price: Stripe.Price | string | null | undefined): boolean {
  return expanded(price)?.recurring?.usage_type === 'metered';
}

/** The plan item's price (an expanded price, or one with only its id when the item names a plain id). */
export function subscriptionPrice(subscription: Stripe.Subscription): Stripe.Price | null {
  const price = planItem(subscription)?.price as Stripe.Price | string | undefined;
  if (!price) return null;
  return typeof price === 'string' ? ({ id: price, recurring: null } as unknown as Stripe.Price) : price;
}

/**
 * Every item's price id, the plan item's first: the writer takes the tier of the first one a tier row knows, so a
 * plan price on any item is recognised even when no mark tells it from an add-on's.
 */
export function subscriptionPriceIds(subscription: Stripe.Subscription): string[] {
  const first = planItem(subscription);
  const items = subscription.items?.data ?? [];
  const ids = [first, ...items.filter((item) => item !== first)].map((item) => idOf(item?.price)).filter((id): id is string => id !== null);
  return [...new Set(ids)];
}

/**
 * The current period: the plan item's (API 2025-03-31 on), else the subscription's own (older versions); null when
 * neither holds a valid one.
 */
export function subscriptionPeriod(subscription: Stripe.Subscription): { start: Date; end: Date } | null {
  const item = planItem(subscription);
  const legacy = subscription as LegacySubscription;
  const start = fromUnix(item?.current_period_start) ?? fromUnix(legacy.current_period_start);
  const end = fromUnix(item?.current_period_end) ?? fromUnix(legacy.current_period_end);
  return start && end && end > start ? { start, end } : null;
}

/**
 * The scheduled cancellation. `cancel_at_period_end`, or a `cancel_at` at the period's end (how Stripe reports one
 * set with `cancel_at`, `min_period_end` included), is `atPeriodEnd`; any other `cancel_at` is `at`.
 */
export function scheduledCancellation(subscription: Stripe.Subscription): { atPeriodEnd: boolean; at: Date | null } {
  const cancelAt = fromUnix(subscription.cancel_at);
  const periodEnd = subscriptionPeriod(subscription)?.end ?? null;
  if (subscription.cancel_at_period_end === true) return { atPeriodEnd: true, at: null };
  if (cancelAt && periodEnd && cancelAt.getTime() === periodEnd.getTime()) return { atPeriodEnd: true, at: null };
  return { atPeriodEnd: false, at: cancelAt };
}

/** The vendor id carried in Stripe metadata, when it is a positive integer. */
export function metadataVendorId(metadata: Stripe.Metadata | null | undefined): number | null {
  const raw = metadata?.vendor_id;
  if (!raw || !/^\d{1,9}$/.test(raw)) return null;
  const id = Number(raw);
  return id > 0 ? id : null;
}

/** The subscription an invoice belongs to: under `parent.subscription_details` (2025-03-31 on) or at the top (before). */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  return idOf(invoice.parent?.subscription_details?.subscription) ?? idOf((invoice as LegacyInvoice).subscription);
}

/** The metadata of an invoice's subscription, as the invoice carries it in any version (or its expanded subscription). */
export function invoiceSubscriptionMetadata(invoice: Stripe.Invoice): Stripe.Metadata | null {
  const legacy = invoice as LegacyInvoice;
  return invoice.parent?.subscription_details?.metadata ?? legacy.subscription_details?.metadata ?? expanded(legacy.subscription)?.metadata ?? null;
}

/** Whether an invoice line bills a subscription item (not a one-off item), and whether it is a proration. */
export function invoiceLineKind(line: Stripe.InvoiceLineItem): { subscriptionItem: boolean; proration: boolean } {
  const legacy = line as LegacyLine;
  const details = line.parent?.subscription_item_details;
  return {
    subscriptionItem: line.parent?.type === 'subscription_item_details' || legacy.type === 'subscription',
    proration: details?.proration === true || legacy.proration === true,
  };
}
