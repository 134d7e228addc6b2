import type Stripe from 'stripe';
import type { Params } from './form-parser.js';
import { addInterval, invoiceObject, type LineInit, priceObject, subscriptionObject } from './objects.js';
import { applyMetadata, invalid, missing, num, obj, objects, required, str } from './params.js';
import { meterUsageBetween } from './resources/meters.js';
import type { ProrationRecord, StripeState } from './store.js';

/** Subscription and invoice logic shared by the API routes and the test helpers. */

export function findPrice(state: StripeState, id: string, param = 'price'): Stripe.Price {
  const price = state.prices.get(id);
  if (!price) throw missing('price', id, param);
  return price;
}

export function findCustomer(state: StripeState, id: string, param = 'customer'): Stripe.Customer {
  const customer = state.customers.get(id);
  if (!customer || (customer as { deleted?: boolean }).deleted) throw missing('customer', id, param);
  return customer;
}

export function findSubscription(state: StripeState, id: string, param = 'id'): Stripe.Subscription {
  const subscription = state.subscriptions.get(id);
  if (!subscription) throw missing('subscription', id, param);
  return subscription;
}

export function productName(state: StripeState, price: Stripe.Price): string {
  const productId = typeof price.product === 'string' ? price.product : price.product.id;
  return state.products.get(productId)?.name ?? price.nickname ?? productId;
}

export interface NewSubscription {
  customer: string;
  items: Array<{ price: string; quantity?: number }>;
  status?: Stripe.Subscription.Status;
  metadata?: Record<string, string>;
  trialEnd?: number | null;
  periodStart?: number;
  periodEnd?: number;
  cancelAtPeriodEnd?: boolean;
  created?: number;
}

export function createSubscriptionRecord(state: StripeState, init: NewSubscription): Stripe.Subscription {
  if (init.items.length === 0) throw invalid('Missing required param: items.', 'items', 'parameter_missing');
  const prices = init.items.map((item, i) => ({ price: findPrice(state, item.price, `items[${i}][price]`), quantity: item.quantity ?? 1 }));
  for (const { price } of prices) {
    if (!price.recurring) throw invalid(`The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`, 'items[0][price]');
  }
  assertOneInterval(prices.map((p) => p.price));
  const now = state.now();
  const trialEnd = init.trialEnd ?? null;
  const start = init.periodStart ?? now;
  const recurring = prices[0].price.recurring as Stripe.Price.Recurring;
  const end = init.periodEnd ?? (trialEnd && trialEnd > start ? trialEnd : addInterval(start, recurring.interval, recurring.interval_count));
  const subscription = subscriptionObject({
    customer: init.customer, prices, status: init.status ?? (trialEnd && trialEnd > now ? 'trialing' : 'active'), created: init.created ?? Math.min(now, start),
    periodStart: start, periodEnd: end, metadata: init.metadata, trialStart: trialEnd ? start : null, trialEnd, cancelAtPeriodEnd: init.cancelAtPeriodEnd,
  });
  state.subscriptions.set(subscription.id, subscription);
  return subscription;
}

/** A metered price (`recurring.usage_type=metered`): billed in arrears, what its Billing Meter summed over the period. */
export function isMetered(price: Stripe.Price | undefined): boolean {
  return price?.recurring?.usage_type === 'metered';
}

/**
 * Stripe's classic billing mode (the double's, `billing_mode.type=classic`) puts every item of a subscription on one
 * interval: a monthly metered price cannot sit beside a yearly plan (mixed intervals need `billing_mode=flexible`,
 * API 2025-07-30 on, which the double does not model).
 */
export function assertOneInterval(prices: Stripe.Price[], param = 'items'): void {
  const intervals = new Set(prices.map((p) => `${p.recurring?.interval}/${p.recurring?.interval_count ?? 1}`));
  if (intervals.size > 1) throw invalid('Currency and interval fields must match across all plans on this subscription. Found mismatch in interval field.', param);
}

/**
 * The usage line of each metered item (`keep`: which items), as Stripe bills it at the period's end: the meter's sum
 * for the customer over the events timestamped from the item's start in this period (an item added mid-period bills
 * only what followed; a removed one bills nothing: classic mode) until `until`, times the unit amount.
 */
export function usageLines(state: StripeState, subscription: Stripe.Subscription, until: number, keep: (item: Stripe.SubscriptionItem) => boolean = () => true): LineInit[] {
  return subscription.items.data.filter((item) => isMetered(item.price) && keep(item)).map((item) => {
    const from = Math.max(item.created, item.current_period_start);
    const quantity = meterUsageBetween(state, subscription.customer as string, item.price.recurring?.meter ?? '', from, until);
    return {
      amount: quantity * (item.price.unit_amount ?? 0), description: `${quantity} × ${productName(state, item.price)} (usage)`, price: item.price, quantity,
      periodStart: item.current_period_start, periodEnd: item.current_period_end, subscription: subscription.id, subscriptionItem: item.id, proration: false,
    };
  });
}

/** The regular (non-proration) line of each licensed item for a period, billed in advance (metered items: usageLines). */
export function periodLines(state: StripeState, subscription: Stripe.Subscription, start: number, end: number, free = false): LineInit[] {
  return subscription.items.data.filter((item) => !isMetered(item.price)).map((item) => ({
    amount: free ? 0 : (item.price.unit_amount ?? 0) * (item.quantity ?? 1),
    description: `${item.quantity ?? 1} × ${productName(state, item.price)}${free ? ' (trial)' : ''}`,
    price: item.price, quantity: item.quantity ?? 1, periodStart: start, periodEnd: end,
    subscription: subscription.id, subscriptionItem: item.id, proration: false,
  }));
}

/**
 * Stripe's invoice-level `period_start/end` "looks back one period" on a renewal (`subscription_cycle`): it is the
 * period that just ended, while the lines carry the new one. Other invoices have both equal to their creation time.
 */
function invoicePeriod(state: StripeState, subscription: Stripe.Subscription, lines: LineInit[], billingReason: string): { start: number; end: number } {
  const now = state.now();
  if (billingReason !== 'subscription_cycle') return { start: now, end: now };
  const start = lines.find((l) => !l.proration)?.periodStart ?? lines[0]?.periodStart ?? now;
  const recurring = subscription.items.data[0]?.price.recurring;
  return { start: addInterval(start, recurring?.interval ?? 'month', -(recurring?.interval_count ?? 1)), end: start };
}

export function issueInvoice(
  state: StripeState,
  subscription: Stripe.Subscription,
  lines: LineInit[],
  billingReason: Stripe.Invoice.BillingReason,
  extra: { status?: Stripe.Invoice.Status; prorationDate?: number; created?: number } = {},
): Stripe.Invoice {
  const period = invoicePeriod(state, subscription, lines, billingReason);
  const invoice = invoiceObject({
    customer: subscription.customer as string, subscription: subscription.id, subscriptionMetadata: subscription.metadata, lines,
    status: extra.status ?? 'paid', billingReason, created: extra.created ?? state.now(), currency: subscription.currency,
    periodStart: period.start, periodEnd: period.end, prorationDate: extra.prorationDate,
  });
  state.invoices.set(invoice.id, invoice);
  subscription.latest_invoice = invoice.id;
  return invoice;
}

/** One requested item change (`items[i]` of an update or of `subscription_details`). */
export interface ItemChange {
  id?: string;
  price?: string;
  quantity?: number;
  deleted?: boolean;
}

export interface ProrationPlan {
  lines: LineInit[];
  amount: number;
  /** Set when the interval changed: Stripe restarts the billing period at the proration date. */
  newPeriod: { start: number; end: number } | null;
}

function dateLabel(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/**
 * Stripe's proration for an item change at `prorationDate`: a credit for the unused time on the old price and a
 * charge for the remaining time on the new one, both `amount × (end − t) / (end − start)` rounded to cents. An
 * interval change restarts the period at `t` and charges the new price in full. Pure: same inputs, same amounts.
 */
export function planProration(state: StripeState, subscription: Stripe.Subscription, changes: ItemChange[], prorationDate: number): ProrationPlan {
  const lines: LineInit[] = [];
  let newPeriod: ProrationPlan['newPeriod'] = null;
  if (subscription.status === 'trialing') return { lines, amount: 0, newPeriod };
  for (const [i, change] of changes.entries()) {
    const item = change.id ? subscription.items.data.find((it) => it.id === change.id) : undefined;
    if (change.id && !item) throw invalid(`Invalid subscription item: '${change.id}'`, `items[${i}][id]`, 'resource_missing');
    const oldPrice = item?.price;
    const newPrice = change.deleted ? undefined : change.price ? findPrice(state, change.price, `items[${i}][price]`) : oldPrice;
    // A metered price prorates nothing: it bills its meter's usage at the period's end.
    if (isMetered(oldPrice) || isMetered(newPrice)) continue;
    const oldQty = item?.quantity ?? 1;
    const newQty = change.quantity ?? oldQty;
    const start = item?.current_period_start ?? subscription.items.data[0]?.current_period_start ?? prorationDate;
    const end = item?.current_period_end ?? subscription.items.data[0]?.current_period_end ?? prorationDate;
    const t = Math.min(Math.max(prorationDate, start), end);
    const fraction = end > start ? (end - t) / (end - start) : 0;
    const base = { subscription: subscription.id, subscriptionItem: item?.id ?? null, proration: true, periodEnd: end, periodStart: t };
    if (oldPrice && (newPrice?.id !== oldPrice.id || newQty !== oldQty)) {
      lines.push({ ...base, amount: -Math.round((oldPrice.unit_amount ?? 0) * oldQty * fraction), description: `Unused time on ${oldQty} × ${productName(state, oldPrice)} after ${dateLabel(t)}`, price: oldPrice, quantity: oldQty });
    }
    if (!newPrice || (oldPrice?.id === newPrice.id && newQty === oldQty)) continue;
    const oldInterval = oldPrice?.recurring && `${oldPrice.recurring.interval}/${oldPrice.recurring.interval_count}`;
    const newInterval = newPrice.recurring && `${newPrice.recurring.interval}/${newPrice.recurring.interval_count}`;
    if (oldPrice && newPrice.recurring && oldInterval !== newInterval) {
      newPeriod = { start: t, end: addInterval(t, newPrice.recurring.interval, newPrice.recurring.interval_count) };
      lines.push({ ...base, proration: false, periodEnd: newPeriod.end, amount: (newPrice.unit_amount ?? 0) * newQty, description: `${newQty} × ${productName(state, newPrice)}`, price: newPrice, quantity: newQty });
    } else {
      lines.push({ ...base, amount: Math.round((newPrice.unit_amount ?? 0) * newQty * fraction), description: `Remaining time on ${newQty} × ${productName(state, newPrice)} after ${dateLabel(t)}`, price: newPrice, quantity: newQty });
    }
  }
  return { lines, amount: lines.reduce((sum, line) => sum + line.amount, 0), newPeriod };
}

export function recordProration(state: StripeState, subscription: Stripe.Subscription, plan: ProrationPlan, prorationDate: number, source: ProrationRecord['source']): ProrationRecord {
  const record: ProrationRecord = {
    subscription: subscription.id, proration_date: prorationDate, amount: plan.amount, source,
    lines: plan.lines.map((line) => ({ amount: line.amount, description: line.description, price: line.price.id, quantity: line.quantity, proration: line.proration, period: { start: line.periodStart, end: line.periodEnd } })),
  };
  state.prorations.push(record);
  return record;
}

/** The prices a subscription would hold after `changes` (deleted items gone, changed prices swapped, new items added). */
export function pricesAfter(state: StripeState, subscription: Stripe.Subscription, changes: ItemChange[]): Stripe.Price[] {
  const kept = subscription.items.data.filter((item) => !changes.some((c) => c.id === item.id && c.deleted));
  const prices = kept.map((item) => {
    const change = changes.find((c) => c.id === item.id && c.price);
    return change?.price ? findPrice(state, change.price) : item.price;
  });
  return [...prices, ...changes.filter((c) => !c.id && c.price).map((c) => findPrice(state, c.price!))];
}

/**
 * One-off invoice items (`add_invoice_items` of a subscription update, `invoice_items` of a preview): each
 * `{ price | price_data: { currency, product, unit_amount }, quantity = 1 }` is a line of the next invoice.
 */
export function invoiceItemLines(state: StripeState, subscription: Stripe.Subscription, params: Params, key: string): LineInit[] {
  const now = state.now();
  return objects(params, key).map((entry, i) => {
    const data = obj(entry, 'price_data');
    const priceId = str(entry, 'price');
    if (!priceId && !data) throw invalid(`Missing required param: ${key}[${i}][price] or ${key}[${i}][price_data].`, `${key}[${i}]`, 'parameter_missing');
    const price = priceId ? findPrice(state, priceId, `${key}[${i}][price]`) : priceObject({
      product: required(data!, 'product'), currency: required(data!, 'currency'), unit_amount: num(data!, 'unit_amount') ?? 0, created: now, active: false,
    });
    if (!state.products.has(price.product as string)) throw missing('product', price.product as string, `${key}[${i}][price_data][product]`);
    const quantity = num(entry, 'quantity') ?? 1;
    return {
      amount: (price.unit_amount ?? 0) * quantity, description: str(entry, 'description') ?? `${quantity} × ${productName(state, price)}`, price, quantity,
      periodStart: now, periodEnd: now, subscription: subscription.id, subscriptionItem: null, proration: false, invoiceItem: true,
      metadata: applyMetadata({}, entry),
    };
  });
}
