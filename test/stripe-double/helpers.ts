import Stripe from 'stripe';
import { createSubscriptionRecord, findPrice, findSubscription, issueInvoice, periodLines, productName, usageLines } from './billing.js';
import { refreshCurrentPhase, releaseSchedule } from './resources/schedules.js';
import { addInterval, customerObject, priceObject, productObject, recurring, setItemPrice, type LineInit } from './objects.js';
import { openingInvoice } from './resources/subscriptions.js';
import { findSession } from './resources/checkout.js';
import { newId, type StripeState } from './store.js';

/** Test-side shortcuts that change Stripe's truth directly, as if it happened at Stripe (not through the API). */

type Emit = (type: string, object: object, before?: object) => Stripe.Event;

export interface CreatePriceInput {
  unit_amount: number;
  interval?: 'month' | 'year' | 'week' | 'day' | null;
  currency?: string;
  lookup_key?: string;
  product?: string;
  product_name?: string;
  metadata?: Record<string, string>;
}

export function createPrice(state: StripeState, input: CreatePriceInput): Stripe.Price {
  let product = input.product;
  if (!product) {
    const created = productObject({ name: input.product_name ?? `Product ${state.products.size + 1}`, created: state.now() });
    state.products.set(created.id, created);
    product = created.id;
  }
  const price = priceObject({
    product, created: state.now(), currency: input.currency ?? 'usd', unit_amount: input.unit_amount,
    recurring: input.interval === null ? null : recurring(input.interval ?? 'month'), lookup_key: input.lookup_key ?? null, metadata: input.metadata ?? {},
  });
  state.prices.set(price.id, price);
  return price;
}

export function createCustomer(state: StripeState, input: { email?: string; name?: string; metadata?: Record<string, string> } = {}): Stripe.Customer {
  const customer = customerObject({ created: state.now(), email: input.email ?? null, name: input.name ?? null, metadata: input.metadata ?? {} });
  state.customers.set(customer.id, customer);
  return customer;
}

export interface CreateSubscriptionInput {
  /** A customer id; a new customer when omitted. */
  customer?: string;
  /** A price id. */
  price: string;
  quantity?: number;
  status?: Stripe.Subscription.Status;
  metadata?: Record<string, string>;
  trial_end?: number | null;
  current_period_start?: number;
  current_period_end?: number;
  cancel_at_period_end?: boolean;
  created?: number;
}

export function createSubscription(state: StripeState, input: CreateSubscriptionInput): Stripe.Subscription {
  const customer = input.customer ?? createCustomer(state).id;
  if (!state.customers.has(customer)) state.customers.set(customer, customerObject({ id: customer, created: state.now() }));
  return createSubscriptionRecord(state, {
    customer, items: [{ price: input.price, quantity: input.quantity }], status: input.status, metadata: input.metadata, trialEnd: input.trial_end,
    periodStart: input.current_period_start, periodEnd: input.current_period_end, cancelAtPeriodEnd: input.cancel_at_period_end, created: input.created,
  });
}

export type SubscriptionPatch = Partial<Omit<Stripe.Subscription, 'items'>> & {
  current_period_start?: number;
  current_period_end?: number;
  /** Moves every item to this price id. */
  price?: string;
};

export function updateSubscriptionState(state: StripeState, id: string, patch: SubscriptionPatch): Stripe.Subscription {
  const subscription = findSubscription(state, id);
  const { current_period_start: start, current_period_end: end, price, ...rest } = patch;
  Object.assign(subscription, rest);
  for (const item of subscription.items.data) {
    if (start !== undefined) item.current_period_start = start;
    if (end !== undefined) item.current_period_end = end;
    if (price !== undefined) {
      const found = state.prices.get(price);
      if (!found) throw new Error(`stripe double: no price ${price}`);
      setItemPrice(item, found);
    }
  }
  if (patch.cancel_at_period_end !== undefined && patch.cancel_at === undefined) {
    subscription.cancel_at = patch.cancel_at_period_end ? subscription.items.data[0]?.current_period_end ?? null : null;
  }
  return subscription;
}

/** Completes a Checkout Session as the customer paying would: Stripe creates the subscription (or payment) and emits the events. */
export function completeCheckout(state: StripeState, emitOne: Emit, sessionId: string) {
  const events: Stripe.Event[] = [];
  const emit: Emit = (type, object, before) => {
    const event = emitOne(type, object, before);
    events.push(event);
    return event;
  };
  const session = findSession(state, sessionId);
  if (session.status !== 'open') throw new Error(`stripe double: checkout session ${sessionId} is ${session.status}`);
  const extras = state.sessionExtras.get(sessionId);
  if (!extras) throw new Error(`stripe double: checkout session ${sessionId} has no line items`);
  const customer = (session.customer as string | null) ?? createCustomer(state, { email: session.customer_email ?? undefined }).id;
  const before = structuredClone(session);
  session.customer = customer;
  session.customer_details = { address: null, business_name: null, email: session.customer_email ?? state.customers.get(customer)?.email ?? null, individual_name: null, name: null, phone: null, tax_exempt: 'none', tax_ids: [] };
  let subscription: Stripe.Subscription | null = null;
  let invoice: Stripe.Invoice | null = null;
  if (session.mode === 'subscription') {
    subscription = createSubscriptionRecord(state, { customer, items: extras.lineItems, metadata: extras.subscriptionMetadata, trialEnd: extras.trialEnd });
    // Checkout collects a card even for a trial (payment_method_collection 'always') and makes it the default.
    subscription.default_payment_method = newId('pm');
    emit('customer.subscription.created', subscription);
    invoice = openingInvoice({ state, emit }, subscription);
    session.subscription = subscription.id;
    session.invoice = invoice.id;
    session.payment_status = subscription.status === 'trialing' ? 'no_payment_required' : 'paid';
  } else if (session.mode === 'payment') {
    session.payment_intent = `pi_${sessionId.slice(-20)}`;
    session.payment_status = 'paid';
  }
  session.status = 'complete';
  const event = emit('checkout.session.completed', session, before);
  return { session, subscription, invoice, event, events };
}

export interface CreateInvoiceInput {
  subscription: string;
  customer?: string;
  status?: Stripe.Invoice.Status;
  billing_reason?: Stripe.Invoice.BillingReason;
  /** Total of the invoice in cents; default the subscription's price × quantity. */
  amount_due?: number;
  amount_paid?: number;
  /** The period the invoice pays for (its lines' period); default the subscription's current period. */
  period_start?: number;
  period_end?: number;
  created?: number;
  number?: string;
  attempt_count?: number;
  due_date?: number | null;
}

/** An invoice of a subscription. Its own `period_start/end` follow Stripe (see `issueInvoice`); the lines carry the period paid for. */
export function createInvoice(state: StripeState, input: CreateInvoiceInput): Stripe.Invoice {
  const subscription = findSubscription(state, input.subscription);
  const item = subscription.items.data[0];
  const start = input.period_start ?? item.current_period_start;
  const end = input.period_end ?? item.current_period_end;
  let lines: LineInit[] = periodLines(state, subscription, start, end);
  const amount = input.amount_due ?? input.amount_paid;
  if (amount !== undefined) lines = [{ ...lines[0], amount, description: productName(state, item.price) }];
  const status = input.status ?? 'paid';
  const invoice = issueInvoice(state, subscription, lines, input.billing_reason ?? 'subscription_cycle', { status, created: input.created });
  if (input.customer) invoice.customer = input.customer;
  if (input.amount_paid !== undefined) {
    invoice.amount_paid = input.amount_paid;
    invoice.amount_remaining = Math.max(invoice.amount_due - input.amount_paid, 0);
  }
  if (input.attempt_count !== undefined) {
    invoice.attempt_count = input.attempt_count;
    invoice.attempted = input.attempt_count > 0;
  }
  if (input.due_date !== undefined) invoice.due_date = input.due_date;
  if (input.number !== undefined) invoice.number = input.number;
  return invoice;
}

/**
 * The subscription renews as it would at Stripe at the end of its period: items move to the next period, a
 * `subscription_cycle` invoice (with any pending prorations) is paid, or, with `paid: false`, stays open after a
 * failed attempt and the subscription goes `past_due`. A trial ends into `active` (or `past_due`). Returns the
 * events Stripe would send, in order (stored too when `state.autoEvents`).
 */
/**
 * A schedule's phase entered at a renewal (`at`, the new period's start): its items' prices and quantities are the
 * subscription's from now on (what the renewal invoice bills); past the last phase's end the schedule is released.
 */
function enterSchedulePhase(state: StripeState, subscription: Stripe.Subscription, at: number): void {
  const schedule = subscription.schedule ? state.schedules.get(String(subscription.schedule)) : undefined;
  if (!schedule || schedule.status !== 'active') return;
  const phase = schedule.phases.find((p) => p.start_date <= at && at < p.end_date);
  if (!phase) {
    if (at >= (schedule.phases.at(-1)?.end_date ?? 0) && schedule.end_behavior === 'release') releaseSchedule(state, schedule);
    return;
  }
  const items = subscription.items.data;
  phase.items.forEach((wanted, i) => {
    const item = items[i];
    if (!item) return;
    setItemPrice(item, findPrice(state, String(wanted.price)));
    if (typeof wanted.quantity === 'number') item.quantity = wanted.quantity;
  });
  refreshCurrentPhase(schedule, at);
}

export function renewSubscription(state: StripeState, emit: Emit, id: string, options: { paid?: boolean } = {}) {
  const subscription = findSubscription(state, id);
  if (subscription.status === 'canceled') throw new Error(`stripe double: ${id} is canceled`);
  const paid = options.paid ?? true;
  const before = structuredClone(subscription);
  const item = subscription.items.data[0];
  const start = item.current_period_end;
  const recurring = item.price.recurring as Stripe.Price.Recurring;
  const end = addInterval(start, recurring.interval, recurring.interval_count);
  // The period that ends bills its metered usage (in arrears) beside the next period's licensed items (in advance).
  const usage = usageLines(state, subscription, start);
  for (const it of subscription.items.data) [it.current_period_start, it.current_period_end] = [start, end];
  enterSchedulePhase(state, subscription, start);
  const lines = [...(state.pendingProrations.get(id) ?? []), ...usage, ...periodLines(state, subscription, start, end)];
  state.pendingProrations.delete(id);
  const invoice = issueInvoice(state, subscription, lines, 'subscription_cycle', { status: paid ? 'paid' : 'open' });
  if (!paid) {
    Object.assign(invoice, { amount_paid: 0, amount_remaining: invoice.amount_due, attempted: true, attempt_count: 1, next_payment_attempt: state.now() + 3 * 86_400 });
    invoice.status_transitions.paid_at = null;
  }
  subscription.status = paid ? 'active' : 'past_due';
  const events = [
    emit('invoice.created', invoice), emit('invoice.finalized', invoice),
    ...(paid ? [emit('invoice.paid', invoice), emit('invoice.payment_succeeded', invoice)] : [emit('invoice.payment_failed', invoice)]),
    emit('customer.subscription.updated', subscription, before),
  ];
  return { subscription, invoice, events };
}

export function signedPayload(event: object, secret: string, timestamp?: number): { body: string; signature: string } {
  const body = JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret, ...(timestamp !== undefined && { timestamp }) });
  return { body, signature };
}
