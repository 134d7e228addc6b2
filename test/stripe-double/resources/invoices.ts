import type Stripe from 'stripe';
import type { Params } from '../form-parser.js';
import { assertOneInterval, findCustomer, findSubscription, invoiceItemLines, periodLines, planProration, pricesAfter, recordProration, usageLines } from '../billing.js';
import { addInterval, invoiceObject, type LineInit } from '../objects.js';
import { invalid, matchesRange, missing, num, obj, str } from '../params.js';
import { newId } from '../store.js';
import { listPage, newestFirst, route, type Route, type RouteContext } from './common.js';
import { itemChanges } from './subscriptions.js';

function findInvoice(ctx: RouteContext): Stripe.Invoice {
  const invoice = ctx.state.invoices.get(ctx.captures[0]);
  if (!invoice) throw missing('invoice', ctx.captures[0]);
  return invoice;
}

function subscriptionOf(invoice: Stripe.Invoice): string | null {
  const sub = invoice.parent?.subscription_details?.subscription;
  return typeof sub === 'string' ? sub : sub?.id ?? null;
}

/**
 * The upcoming invoice (`POST /v1/invoices/create_preview`). With `subscription_details[items]` it holds the
 * prorations of that change at `subscription_details[proration_date]` (default now) and, unless
 * `proration_behavior=always_invoice`, the next period at the new prices; without items, just the next period.
 * An invoice at the period's end also bills each metered item's usage so far this period (in arrears, as Stripe's
 * preview does); a metered item the change removes or replaces bills nothing (classic billing mode).
 */
function createPreview(ctx: RouteContext): Stripe.Invoice {
  const { state, params } = ctx;
  const details: Params = obj(params, 'subscription_details') ?? {};
  const subscriptionId = str(params, 'subscription');
  if (!subscriptionId) {
    if (!str(params, 'customer')) throw invalid('Missing required param: customer or subscription.', 'subscription', 'parameter_missing');
    throw invalid('The double only previews invoices of an existing subscription.', 'subscription');
  }
  const subscription = findSubscription(state, subscriptionId, 'subscription');
  const customer = str(params, 'customer');
  if (customer && customer !== subscription.customer) throw invalid('The subscription does not belong to that customer.', 'customer');
  if (subscription.status === 'canceled') throw invalid('No upcoming invoices for customer: ' + subscription.customer, undefined, 'invoice_upcoming_none');
  const changes = itemChanges(details);
  const behavior = str(details, 'proration_behavior') ?? 'create_prorations';
  const prorationDate = num(details, 'proration_date') ?? state.now();
  const item = subscription.items.data[0];
  const pending = state.pendingProrations.get(subscription.id) ?? [];
  // `invoice_items`: one-off items the preview adds (as a change's `add_invoice_items` would).
  let lines: LineInit[] = [...pending, ...invoiceItemLines(state, subscription, params, 'invoice_items')];
  let immediate = false;
  // The invoice's own period looks back (the current period); an immediate invoice has both at now.
  let periodStart = item.current_period_start;
  let periodEnd = item.current_period_end;
  if (changes.length > 0) {
    assertOneInterval(pricesAfter(state, subscription, changes));
    const plan = planProration(state, subscription, changes, prorationDate);
    immediate = behavior === 'always_invoice' || plan.newPeriod !== null;
    if (behavior !== 'none') {
      lines = [...lines, ...plan.lines];
      recordProration(state, subscription, plan, prorationDate, 'preview');
    }
    if (immediate) [periodStart, periodEnd] = [state.now(), state.now()];
    if (behavior !== 'always_invoice' && !plan.newPeriod) {
      const future = structuredClone(subscription);
      for (const change of changes) {
        const it = future.items.data.find((i) => i.id === change.id);
        if (it && change.price) it.price = state.prices.get(change.price) ?? it.price;
        if (it && change.quantity !== undefined) it.quantity = change.quantity;
      }
      future.items.data = future.items.data.filter((i) => !changes.some((c) => c.id === i.id && c.deleted));
      const interval = future.items.data[0]?.price.recurring;
      const next = addInterval(item.current_period_end, interval?.interval ?? 'month', interval?.interval_count ?? 1);
      const untouched = (it: Stripe.SubscriptionItem) => !changes.some((c) => c.id === it.id && (c.deleted || (c.price && c.price !== it.price.id)));
      lines = [...lines, ...usageLines(state, subscription, item.current_period_end, untouched), ...periodLines(state, future, item.current_period_end, next)];
    }
  } else {
    const interval = item.price.recurring;
    const next = addInterval(item.current_period_end, interval?.interval ?? 'month', interval?.interval_count ?? 1);
    lines = [...lines, ...usageLines(state, subscription, item.current_period_end), ...periodLines(state, subscription, item.current_period_end, next)];
  }
  return invoiceObject({
    id: newId('upcoming_in'), customer: subscription.customer as string, subscription: subscription.id, subscriptionMetadata: subscription.metadata,
    lines, status: 'draft', billingReason: changes.length > 0 ? 'subscription_update' : 'subscription_cycle', created: state.now(),
    currency: subscription.currency, periodStart, periodEnd, number: null, nextPaymentAttempt: immediate ? state.now() : item.current_period_end, ...(changes.length > 0 && { prorationDate }),
  });
}

export const invoiceRoutes: Route[] = [
  route('POST', '/v1/invoices/create_preview', createPreview),
  route('GET', '/v1/invoices/:id/lines', (ctx) => listPage(findInvoice(ctx).lines.data, ctx.params, `/v1/invoices/${ctx.captures[0]}/lines`)),
  route('GET', '/v1/invoices/:id', findInvoice),
  route('POST', '/v1/invoices/:id/pay', (ctx) => {
    const invoice = findInvoice(ctx);
    if (invoice.status !== 'open') throw invalid('Invoice is already paid', undefined, 'invoice_not_open');
    invoice.status = 'paid';
    invoice.amount_paid = invoice.amount_due;
    invoice.amount_remaining = 0;
    invoice.status_transitions.paid_at = ctx.state.now();
    ctx.emit('invoice.paid', invoice);
    return invoice;
  }),
  route('GET', '/v1/invoices', ({ params, state }) => {
    const customer = str(params, 'customer');
    if (customer) findCustomer(state, customer);
    const subscription = str(params, 'subscription');
    const status = str(params, 'status');
    const all = newestFirst(state.invoices.values()).filter((inv) =>
      (!customer || inv.customer === customer) && (!subscription || subscriptionOf(inv) === subscription) &&
      (!status || inv.status === status) && matchesRange(inv.created, params, 'created'));
    return listPage(all, params, '/v1/invoices');
  }),
];
