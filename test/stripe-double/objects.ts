import type Stripe from 'stripe';
import { API_VERSION, newId } from './store.js';

/** Factories for objects shaped like API version 2026-10-28.endive. Only fields a billing backend reads are filled in with care. */

export function addInterval(start: number, interval: string, count = 1): number {
  const d = new Date(start * 1000);
  if (interval === 'day') d.setUTCDate(d.getUTCDate() + count);
  else if (interval === 'week') d.setUTCDate(d.getUTCDate() + 7 * count);
  else if (interval === 'year') d.setUTCFullYear(d.getUTCFullYear() + count);
  else d.setUTCMonth(d.getUTCMonth() + count);
  return Math.floor(d.getTime() / 1000);
}

export function customerObject(fields: Partial<Stripe.Customer> & { created: number }): Stripe.Customer {
  return {
    id: newId('cus'), object: 'customer', address: null, balance: 0, currency: null, default_source: null,
    delinquent: false, description: null, discount: null, email: null, invoice_prefix: 'DBL0001', livemode: false, metadata: {},
    name: null, next_invoice_sequence: 1, phone: null, preferred_locales: [], shipping: null, tax_exempt: 'none', test_clock: null,
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    ...fields,
  } as Stripe.Customer;
}

export function productObject(fields: Partial<Stripe.Product> & { name: string; created: number }): Stripe.Product {
  return {
    id: newId('prod'), object: 'product', active: true, default_price: null, description: null, images: [], livemode: false,
    marketing_features: [], metadata: {}, package_dimensions: null, shippable: null, statement_descriptor: null, tax_code: null, tax_details: null,
    type: 'service', unit_label: null, updated: fields.created, url: null,
    ...fields,
  } as Stripe.Product;
}

export function priceObject(fields: Partial<Stripe.Price> & { product: string; created: number; currency: string }): Stripe.Price {
  const unitAmount = fields.unit_amount ?? 0;
  return {
    id: newId('price'), object: 'price', active: true, billing_scheme: 'per_unit', custom_unit_amount: null, livemode: false,
    lookup_key: null, metadata: {}, nickname: null, recurring: null, tax_behavior: 'unspecified', tiers_mode: null,
    transform_quantity: null, type: fields.recurring ? 'recurring' : 'one_time', unit_amount: unitAmount,
    unit_amount_decimal: String(unitAmount),
    ...fields,
  } as Stripe.Price;
}

export function recurring(interval: string, intervalCount = 1): Stripe.Price.Recurring {
  return { interval: interval as Stripe.Price.Recurring.Interval, interval_count: intervalCount, meter: null, trial_period_days: null, usage_type: 'licensed' };
}

/** The legacy `plan` that still rides along on subscription items, derived from the price. */
function planOf(price: Stripe.Price): Stripe.Plan {
  return {
    id: price.id, object: 'plan', active: price.active, amount: price.unit_amount, amount_decimal: price.unit_amount_decimal,
    billing_scheme: 'per_unit', created: price.created, currency: price.currency, interval: price.recurring?.interval ?? 'month',
    interval_count: price.recurring?.interval_count ?? 1, livemode: false, metadata: price.metadata, meter: price.recurring?.meter ?? null,
    nickname: price.nickname, product: price.product, tiers_mode: null, transform_usage: null, trial_period_days: null, usage_type: price.recurring?.usage_type ?? 'licensed',
  } as Stripe.Plan;
}

/** A metered price's item has no `quantity` (Stripe bills what its meter summed), as at Stripe. */
export function subscriptionItemObject(subscription: string, price: Stripe.Price, quantity: number, periodStart: number, periodEnd: number, created: number): Stripe.SubscriptionItem {
  return {
    id: newId('si'), object: 'subscription_item', billing_thresholds: null, created, current_period_start: periodStart,
    current_period_end: periodEnd, current_trial: null, discounts: [], metadata: {}, plan: planOf(price), price: structuredClone(price),
    ...(price.recurring?.usage_type !== 'metered' && { quantity }), subscription, tax_rates: [],
  } as Stripe.SubscriptionItem;
}

export function setItemPrice(item: Stripe.SubscriptionItem, price: Stripe.Price): void {
  item.price = structuredClone(price);
  item.plan = planOf(price);
}

export function listObject<T>(data: T[], url: string, hasMore = false): Stripe.ApiList<T> {
  return { object: 'list', data, has_more: hasMore, url };
}

export interface SubscriptionInit {
  customer: string;
  prices: Array<{ price: Stripe.Price; quantity: number }>;
  status: Stripe.Subscription.Status;
  created: number;
  periodStart: number;
  periodEnd: number;
  metadata?: Record<string, string>;
  trialStart?: number | null;
  trialEnd?: number | null;
  cancelAtPeriodEnd?: boolean;
}

export function subscriptionObject(init: SubscriptionInit): Stripe.Subscription {
  const id = newId('sub');
  const items = init.prices.map(({ price, quantity }) => subscriptionItemObject(id, price, quantity, init.periodStart, init.periodEnd, init.created));
  return {
    id, object: 'subscription', application: null, application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null }, billing_cycle_anchor: init.periodStart,
    billing_cycle_anchor_config: null, billing_mode: { flexible: null, type: 'classic' }, billing_schedules: [], billing_thresholds: null,
    cancel_at: init.cancelAtPeriodEnd ? init.periodEnd : null, cancel_at_period_end: init.cancelAtPeriodEnd ?? false, canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null }, collection_method: 'charge_automatically', created: init.created,
    currency: init.prices[0]?.price.currency ?? 'usd', customer: init.customer, customer_account: null, days_until_due: null,
    default_payment_method: null, default_source: null, default_tax_rates: [], description: null, discounts: [], ended_at: null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } }, items: listObject(items, `/v1/subscription_items?subscription=${id}`),
    latest_invoice: null, livemode: false, managed_payments: null, metadata: init.metadata ?? {}, next_pending_invoice_item_invoice: null, on_behalf_of: null,
    pause_collection: null, payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null, pending_setup_intent: null, pending_update: null, schedule: null, start_date: init.created,
    status: init.status, test_clock: null, transfer_data: null, trial_end: init.trialEnd ?? null,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } }, trial_start: init.trialStart ?? null,
  } as unknown as Stripe.Subscription;
}

export interface LineInit {
  amount: number;
  description: string;
  price: Stripe.Price;
  quantity: number;
  periodStart: number;
  periodEnd: number;
  subscription: string | null;
  subscriptionItem: string | null;
  proration: boolean;
  /** A one-off invoice item (`add_invoice_items`, a preview's `invoice_items`), not a subscription item's line. */
  invoiceItem?: boolean;
  /** The invoice item's metadata, which its line carries. */
  metadata?: Record<string, string>;
}

export function lineItemObject(init: LineInit, invoice: string | null): Stripe.InvoiceLineItem {
  return {
    id: newId('il'), object: 'line_item', amount: init.amount, currency: init.price.currency, description: init.description,
    discount_amounts: [], discountable: !init.proration, discounts: [], invoice, livemode: false, metadata: init.metadata ?? {},
    parent: init.invoiceItem
      ? {
          type: 'invoice_item_details', subscription_item_details: null,
          invoice_item_details: { invoice_item: newId('ii'), proration: false, proration_details: { credited_items: null }, subscription: init.subscription },
        }
      : {
          type: 'subscription_item_details', invoice_item_details: null,
          subscription_item_details: { invoice_item: init.proration ? newId('ii') : null, proration: init.proration, proration_details: { credited_items: null }, subscription: init.subscription, subscription_item: init.subscriptionItem ?? '' },
        },
    period: { start: init.periodStart, end: init.periodEnd }, pretax_credit_amounts: [],
    pricing: { type: 'price_details', price_details: { price: init.price.id, product: init.price.product as string }, unit_amount_decimal: init.price.unit_amount_decimal },
    quantity: init.quantity, quantity_decimal: String(init.quantity), subscription: init.subscription, subtotal: init.amount, taxes: [],
  } as unknown as Stripe.InvoiceLineItem;
}

export interface InvoiceInit {
  id?: string;
  customer: string;
  subscription: string | null;
  subscriptionMetadata?: Record<string, string>;
  lines: LineInit[];
  status: Stripe.Invoice.Status;
  billingReason: Stripe.Invoice.BillingReason;
  created: number;
  periodStart: number;
  periodEnd: number;
  amountPaid?: number;
  currency: string;
  prorationDate?: number;
  number?: string | null;
  nextPaymentAttempt?: number | null;
}

export function invoiceObject(init: InvoiceInit): Stripe.Invoice {
  const id = init.id ?? newId('in');
  const lines = init.lines.map((line) => lineItemObject(line, id.startsWith('upcoming') ? null : id));
  const total = init.lines.reduce((sum, line) => sum + line.amount, 0);
  const due = Math.max(total, 0);
  const paid = init.amountPaid ?? (init.status === 'paid' ? due : 0);
  const finalized = init.status !== 'draft';
  return {
    id, object: 'invoice', account_country: 'US', account_name: 'Stripe Double', account_tax_ids: null, amount_due: due,
    amount_overpaid: 0, amount_paid: paid, amount_remaining: Math.max(due - paid, 0), amount_shipping: 0, application: null,
    attempt_count: paid > 0 ? 1 : 0, attempted: paid > 0, auto_advance: !finalized,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null, billing_reason: init.billingReason, collection_method: 'charge_automatically', created: init.created,
    currency: init.currency, custom_fields: null, customer: init.customer, customer_account: null, customer_address: null,
    customer_email: null, customer_name: null, customer_phone: null, customer_shipping: null, customer_tax_exempt: 'none',
    customer_tax_ids: [], default_payment_method: null, default_source: null, default_tax_rates: [], description: null, discounts: [],
    due_date: null, effective_at: finalized ? init.created : null, ending_balance: finalized ? 0 : null, footer: null, from_invoice: null,
    hosted_invoice_url: finalized ? `https://invoice.stripe.test/i/${id}` : null, invoice_pdf: finalized ? `https://pay.stripe.test/invoice/${id}/pdf` : null,
    issuer: { type: 'self' }, last_finalization_error: null, latest_revision: null, lines: listObject(lines, `/v1/invoices/${id}/lines`),
    livemode: false, metadata: {}, next_payment_attempt: init.nextPaymentAttempt ?? null, number: init.number === undefined ? (finalized ? `DBL-${id.slice(-6).toUpperCase()}` : null) : init.number,
    on_behalf_of: null,
    parent: init.subscription
      ? { type: 'subscription_details', quote_details: null, subscription_details: { metadata: init.subscriptionMetadata ?? {}, subscription: init.subscription, ...(init.prorationDate !== undefined && { subscription_proration_date: init.prorationDate }) } }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: init.periodEnd, period_start: init.periodStart, post_payment_credit_notes_amount: 0, pre_payment_credit_notes_amount: 0,
    receipt_number: null, rendering: null, shipping_cost: null, shipping_details: null, starting_balance: 0, statement_descriptor: null,
    status: init.status,
    status_transitions: { finalized_at: finalized ? init.created : null, marked_uncollectible_at: null, paid_at: init.status === 'paid' ? init.created : null, voided_at: init.status === 'void' ? init.created : null },
    subtotal: total, subtotal_excluding_tax: total, test_clock: null, total, total_discount_amounts: [], total_excluding_tax: total,
    total_pretax_credit_amounts: [], total_taxes: [], webhooks_delivered_at: init.created,
  } as unknown as Stripe.Invoice;
}

export function eventObject(type: string, object: object, created: number, extra: { id?: string; previous_attributes?: object; request?: { id: string | null; idempotency_key: string | null } } = {}): Stripe.Event {
  return {
    id: extra.id ?? newId('evt'), object: 'event', api_version: API_VERSION, created,
    data: { object: structuredClone(object), ...(extra.previous_attributes && { previous_attributes: extra.previous_attributes }) },
    livemode: false, pending_webhooks: 1, request: extra.request ?? { id: null, idempotency_key: null }, type,
  } as unknown as Stripe.Event;
}
