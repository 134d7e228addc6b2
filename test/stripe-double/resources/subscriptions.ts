import type Stripe from 'stripe';
import type { Params } from '../form-parser.js';
import {
  assertOneInterval, createSubscriptionRecord, findCustomer, findPrice, findSubscription, invoiceItemLines, issueInvoice, type ItemChange, periodLines, planProration, pricesAfter, recordProration,
} from '../billing.js';
import { setItemPrice, subscriptionItemObject } from '../objects.js';
import { applyMetadata, bool, invalid, matchesRange, missing, num, obj, objects, required, str } from '../params.js';
import type { StripeState } from '../store.js';
import { listPage, listViewPage, newestFirst, newestFirstView, route, searchPage, type Route, type RouteContext } from './common.js';

/** A metered price takes no quantity on a subscription item (Stripe bills what its meter sums). */
function refuseMeteredQuantity(state: StripeState, changes: ItemChange[], key: string): void {
  for (const [i, change] of changes.entries()) {
    if (change.price && change.quantity !== undefined && state.prices.get(change.price)?.recurring?.usage_type === 'metered') {
      throw invalid(`Quantity should not be specified where usage_type is \`metered\`. Remove quantity from \`${key}[${i}]\`.`, `${key}[${i}][quantity]`);
    }
  }
}

export function itemChanges(params: Params, key = 'items'): ItemChange[] {
  return objects(params, key).map((item) => ({
    id: str(item, 'id'), price: str(item, 'price'), quantity: num(item, 'quantity'), deleted: bool(item, 'deleted'),
  }));
}

/** `trial_end` / `trial_period_days` → a Unix time, or null. */
export function trialEndOf(state: StripeState, params: Params): number | null {
  const trialEnd = str(params, 'trial_end');
  if (trialEnd && trialEnd !== 'now') return Number(trialEnd);
  const days = num(params, 'trial_period_days');
  return days ? state.now() + days * 86_400 : null;
}

/** The first invoice of a new subscription: the full price, or a zero invoice when it starts with a trial. */
export function openingInvoice(ctx: Pick<RouteContext, 'state' | 'emit'>, subscription: Stripe.Subscription, status: 'paid' | 'open' = 'paid'): Stripe.Invoice {
  const item = subscription.items.data[0];
  const lines = periodLines(ctx.state, subscription, item.current_period_start, item.current_period_end, subscription.status === 'trialing');
  const invoice = issueInvoice(ctx.state, subscription, lines, 'subscription_create', { status });
  const types = status === 'paid' ? ['invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded'] : ['invoice.created', 'invoice.finalized'];
  for (const type of types) ctx.emit(type, invoice);
  return invoice;
}

function applyItemChanges(state: StripeState, subscription: Stripe.Subscription, changes: ItemChange[], newPeriod: { start: number; end: number } | null): void {
  const now = state.now();
  for (const [i, change] of changes.entries()) {
    const item = change.id ? subscription.items.data.find((it) => it.id === change.id) : undefined;
    if (change.id && !item) throw invalid(`Invalid subscription item: '${change.id}'`, `items[${i}][id]`, 'resource_missing');
    if (item && change.deleted) {
      subscription.items.data = subscription.items.data.filter((it) => it !== item);
      continue;
    }
    if (item) {
      if (change.price) setItemPrice(item, findPrice(state, change.price, `items[${i}][price]`));
      if (change.quantity !== undefined) item.quantity = change.quantity;
      continue;
    }
    if (!change.price) throw invalid('Missing required param: items[' + i + '][price].', `items[${i}][price]`, 'parameter_missing');
    if (subscription.items.data.some((it) => it.price.id === change.price)) {
      throw invalid('Cannot add multiple subscription items with the same plan: ' + change.price, `items[${i}][price]`);
    }
    const first = subscription.items.data[0];
    subscription.items.data.push(subscriptionItemObject(subscription.id, findPrice(state, change.price, `items[${i}][price]`), change.quantity ?? 1, first?.current_period_start ?? now, first?.current_period_end ?? now, now));
  }
  if (newPeriod) {
    for (const item of subscription.items.data) {
      item.current_period_start = newPeriod.start;
      item.current_period_end = newPeriod.end;
    }
    subscription.billing_cycle_anchor = newPeriod.start;
  }
  if (subscription.items.data.length === 0) throw invalid('A subscription must have at least one active plan.', 'items');
}

/** The earliest and latest period end of the items (`cancel_at_period_end` and `min_period_end` resolve to the earliest). */
function periodEnds(subscription: Stripe.Subscription): { min: number | null; max: number | null } {
  const ends = subscription.items.data.map((item) => item.current_period_end);
  return ends.length === 0 ? { min: null, max: null } : { min: Math.min(...ends), max: Math.max(...ends) };
}

/**
 * As Stripe does: `cancel_at_period_end: true` sets `cancel_at` to the (earliest item's) period end; `canceled_at`
 * is the time of the request that scheduled the cancellation, cleared when undone. `false` undoes a cancellation
 * set with `cancel_at_period_end`; one set with `cancel_at` stays (only `cancel_at: ''` clears that: the double
 * takes the strict reading, so the product must send what clears each kind).
 */
function setCancelAtPeriodEnd(subscription: Stripe.Subscription, value: boolean, now: number): void {
  if (!value && !subscription.cancel_at_period_end) return;
  subscription.cancel_at_period_end = value;
  subscription.cancel_at = value ? periodEnds(subscription).min : null;
  subscription.canceled_at = value ? now : null;
}

/**
 * `cancel_at`: a timestamp, `min_period_end` / `max_period_end` (resolved now to the items' earliest / latest period
 * end, API 2025-07-30 on), or '' to clear a scheduled cancellation of either kind. A date is reported with
 * `cancel_at_period_end: false`, even when it falls on the period's end.
 */
function setCancelAt(subscription: Stripe.Subscription, value: string, now: number): void {
  if (value === '') {
    Object.assign(subscription, { cancel_at: null, cancel_at_period_end: false, canceled_at: null });
    return;
  }
  const ends = periodEnds(subscription);
  const at = value === 'min_period_end' ? ends.min : value === 'max_period_end' ? ends.max : Number(value);
  if (at === null || !Number.isInteger(at)) throw invalid(`Invalid cancel_at: ${value}`, 'cancel_at');
  if (at <= now) throw invalid('cancel_at must be in the future.', 'cancel_at');
  Object.assign(subscription, { cancel_at: at, cancel_at_period_end: false, canceled_at: now });
}

function updateSubscription(ctx: RouteContext): Stripe.Subscription {
  const { state, params } = ctx;
  const subscription = findSubscription(state, ctx.captures[0]);
  const before = structuredClone(subscription);
  if (subscription.status === 'canceled' && Object.keys(params).some((k) => !['metadata', 'cancellation_details', 'expand'].includes(k))) {
    throw invalid('A canceled subscription can only update its cancellation_details and metadata.', undefined, 'resource_missing');
  }
  // As at Stripe: a subscription that a schedule manages takes its cancellation from the schedule.
  if ((params.cancel_at_period_end !== undefined || params.cancel_at !== undefined) && subscription.schedule) {
    throw invalid(`The subscription is managed by the subscription schedule \`${String(subscription.schedule)}\`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead.`);
  }
  const changes = itemChanges(params);
  refuseMeteredQuantity(state, changes, 'items');
  const behavior = str(params, 'proration_behavior') ?? 'create_prorations';
  const prorationDate = num(params, 'proration_date') ?? state.now();
  // `add_invoice_items`: pending invoice items of the next invoice (this one when the change is invoiced at once).
  const added = invoiceItemLines(state, subscription, params, 'add_invoice_items');
  if (changes.length > 0) {
    assertOneInterval(pricesAfter(state, subscription, changes));
    const plan = planProration(state, subscription, changes, prorationDate);
    applyItemChanges(state, subscription, changes, plan.newPeriod);
    if (behavior !== 'none' && plan.lines.length > 0) recordProration(state, subscription, plan, prorationDate, 'update');
    const lines = [...(behavior !== 'none' ? plan.lines : []), ...added];
    if (lines.length > 0) {
      const pending = state.pendingProrations.get(subscription.id) ?? [];
      if (behavior !== 'always_invoice' && !plan.newPeriod) {
        state.pendingProrations.set(subscription.id, [...pending, ...lines]);
      } else {
        state.pendingProrations.delete(subscription.id);
        const invoice = issueInvoice(state, subscription, [...pending, ...lines], 'subscription_update', { prorationDate });
        for (const type of ['invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded']) ctx.emit(type, invoice);
      }
    }
  } else if (added.length > 0) {
    state.pendingProrations.set(subscription.id, [...(state.pendingProrations.get(subscription.id) ?? []), ...added]);
  }
  const cancelAtPeriodEnd = bool(params, 'cancel_at_period_end');
  if (cancelAtPeriodEnd !== undefined) setCancelAtPeriodEnd(subscription, cancelAtPeriodEnd, state.now());
  const cancelAt = str(params, 'cancel_at');
  if (cancelAt !== undefined) setCancelAt(subscription, cancelAt, state.now());
  subscription.metadata = applyMetadata(subscription.metadata, params);
  const cancellation = obj(params, 'cancellation_details');
  if (cancellation && subscription.cancellation_details) {
    subscription.cancellation_details.comment = str(cancellation, 'comment') ?? subscription.cancellation_details.comment;
  }
  const pause = params.pause_collection;
  if (pause !== undefined) {
    subscription.pause_collection = pause === '' ? null : ({ behavior: required(pause as Params, 'behavior'), resumes_at: num(pause as Params, 'resumes_at') ?? null } as Stripe.Subscription.PauseCollection);
  }
  const paymentMethod = str(params, 'default_payment_method');
  if (paymentMethod !== undefined) subscription.default_payment_method = paymentMethod || null;
  const description = str(params, 'description');
  if (description !== undefined) subscription.description = description || null;
  const trialEnd = str(params, 'trial_end');
  if (trialEnd !== undefined) {
    const end = trialEnd === 'now' ? state.now() : Number(trialEnd);
    subscription.trial_end = end;
    if (end <= state.now() && subscription.status === 'trialing') subscription.status = 'active';
  }
  ctx.emit('customer.subscription.updated', subscription, before);
  return subscription;
}

function cancelSubscription(ctx: RouteContext): Stripe.Subscription {
  const subscription = findSubscription(ctx.state, ctx.captures[0]);
  // Stripe treats a canceled subscription as deleted: canceling it again is 404 resource_missing.
  if (subscription.status === 'canceled') throw missing('subscription', subscription.id);
  const details = obj(ctx.params, 'cancellation_details') ?? {};
  const now = ctx.state.now();
  subscription.status = 'canceled';
  subscription.canceled_at = now;
  subscription.ended_at = now;
  subscription.cancel_at_period_end = false;
  subscription.cancellation_details = { comment: str(details, 'comment') ?? null, feedback: str(details, 'feedback') ?? null, feedback_option: null, reason: 'cancellation_requested' } as Stripe.Subscription.CancellationDetails;
  ctx.emit('customer.subscription.deleted', subscription);
  return subscription;
}

/** Without `status`, Stripe lists every subscription that is not canceled. */
function listFilter(params: Params): (s: Stripe.Subscription) => boolean {
  const status = str(params, 'status');
  const customer = str(params, 'customer');
  const price = str(params, 'price');
  return (s) =>
    (status === 'all' || (status ? s.status === status : s.status !== 'canceled' && s.status !== 'incomplete_expired')) &&
    (!customer || s.customer === customer) && (!price || s.items.data.some((it) => it.price.id === price)) && matchesRange(s.created, params, 'created');
}

export const subscriptionRoutes: Route[] = [
  route('POST', '/v1/subscriptions', (ctx) => {
    const { state, params } = ctx;
    const customer = findCustomer(state, required(params, 'customer'));
    const trialEnd = trialEndOf(state, params);
    // `default_incomplete` leaves the first payment to the client: the subscription waits `incomplete` on an open invoice.
    const incomplete = str(params, 'payment_behavior') === 'default_incomplete' && !trialEnd;
    refuseMeteredQuantity(state, itemChanges(params), 'items');
    const subscription = createSubscriptionRecord(state, {
      customer: customer.id, items: itemChanges(params).map((c) => ({ price: c.price ?? '', quantity: c.quantity })),
      metadata: applyMetadata({}, params), trialEnd, cancelAtPeriodEnd: bool(params, 'cancel_at_period_end'), ...(incomplete && { status: 'incomplete' as const }),
    });
    ctx.emit('customer.subscription.created', subscription);
    openingInvoice(ctx, subscription, incomplete ? 'open' : 'paid');
    return subscription;
  }),
  route('GET', '/v1/subscriptions/search', ({ params, state }) => searchPage(newestFirst(state.subscriptions.values()), params, '/v1/subscriptions/search')),
  route('GET', '/v1/subscriptions/:id', ({ captures, state }) => findSubscription(state, captures[0])),
  route('POST', '/v1/subscriptions/:id', updateSubscription),
  route('DELETE', '/v1/subscriptions/:id', cancelSubscription),
  route('GET', '/v1/subscriptions', ({ params, state }) => listViewPage(newestFirstView(state.subscriptions), listFilter(params), params, '/v1/subscriptions')),
  route('GET', '/v1/subscription_items', ({ params, state }) => {
    const subscription = findSubscription(state, required(params, 'subscription'), 'subscription');
    return listPage(subscription.items.data, params, '/v1/subscription_items');
  }),
];
