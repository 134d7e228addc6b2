import type Stripe from 'stripe';
import type { Params } from '../form-parser.js';
import { findPrice, findSubscription } from '../billing.js';
import { addInterval } from '../objects.js';
import { applyMetadata, invalid, missing, num, objects, str } from '../params.js';
import { newId, type StripeState } from '../store.js';
import { listPage, newestFirst, route, type Route, type RouteContext } from './common.js';

/*
 * Subscription schedules, as Stripe's API reference describes them ("Subscription Schedules": create, update,
 * retrieve, list, release), the part a price migration uses:
 * - create `from_subscription`: the schedule takes over an existing subscription, with one phase — the current
 *   period, its items — `end_behavior: release`; `customer`, `phases` and `start_date` may not be given with it, and a
 *   subscription already attached to a schedule is refused (400). The subscription's `schedule` names it.
 * - update `phases`: the whole list is replaced. The first phase of a started schedule must keep the current phase's
 *   `start_date`; each phase starts where the one before it ends (a missing `start_date` is that end); a phase ends
 *   with `end_date`, or `duration`, else (the last one only) after one interval of its first price. Prices must
 *   exist and recur. A phase that ends before now cannot be written.
 * - release: the schedule stops (`released`), the subscription keeps its state and loses its `schedule`.
 * Time passing is `double.renewSubscription`: a renewal that enters a phase applies its items (prices, quantities)
 * before the invoice, and one past the last phase's end releases the schedule (end_behavior `release`).
 */

const PHASE_DEFAULTS = {
  add_invoice_items: [], application_fee_percent: null, billing_cycle_anchor: null, billing_thresholds: null, collection_method: null,
  default_payment_method: null, description: null, discounts: [], invoice_settings: null, on_behalf_of: null, transfer_data: null,
};

function scheduleObject(state: StripeState, subscription: Stripe.Subscription, phases: Stripe.SubscriptionSchedule.Phase[], metadata: Record<string, string>): Stripe.SubscriptionSchedule {
  return {
    id: newId('sub_sched'), object: 'subscription_schedule', application: null, billing_mode: { flexible: null, type: 'classic' },
    canceled_at: null, completed_at: null, created: state.now(), current_phase: null, customer: subscription.customer as string, customer_account: null,
    default_settings: {
      application_fee_percent: null, automatic_tax: { disabled_reason: null, enabled: false, liability: null }, billing_cycle_anchor: 'automatic',
      billing_thresholds: null, collection_method: 'charge_automatically', default_payment_method: null, description: null,
      invoice_settings: { account_tax_ids: null, custom_fields: null, days_until_due: null, description: null, footer: null, issuer: { type: 'self' } },
      on_behalf_of: null, transfer_data: null,
    },
    end_behavior: 'release', livemode: false, metadata, pause_schedules: [], phases, released_at: null, released_subscription: null,
    status: 'active', subscription: subscription.id, test_clock: null,
  } as unknown as Stripe.SubscriptionSchedule;
}

function phaseItem(state: StripeState, price: string, quantity: number | undefined, param: string): Stripe.SubscriptionSchedule.Phase.Item {
  const found = findPrice(state, price, param);
  if (!found.recurring) throw invalid(`The price \`${price}\` is not recurring; a phase's items must be.`, param);
  return { billing_thresholds: null, discounts: [], metadata: {}, plan: price, price, ...(quantity !== undefined && { quantity }), tax_rates: [] } as unknown as Stripe.SubscriptionSchedule.Phase.Item;
}

function phaseObject(init: { start: number; end: number; items: Stripe.SubscriptionSchedule.Phase.Item[]; currency: string; proration: string; trialEnd: number | null; metadata: Record<string, string> }): Stripe.SubscriptionSchedule.Phase {
  return {
    ...PHASE_DEFAULTS, currency: init.currency, end_date: init.end, items: init.items, metadata: init.metadata, proration_behavior: init.proration,
    start_date: init.start, trial_end: init.trialEnd,
  } as unknown as Stripe.SubscriptionSchedule.Phase;
}

/** The schedule's current phase at `now` (Stripe's `current_phase`), or null before its first and after its last. */
export function refreshCurrentPhase(schedule: Stripe.SubscriptionSchedule, now: number): void {
  const current = schedule.phases.find((p) => p.start_date <= now && now < p.end_date);
  schedule.current_phase = current ? { start_date: current.start_date, end_date: current.end_date } : null;
}

function findSchedule(state: StripeState, id: string): Stripe.SubscriptionSchedule {
  const schedule = state.schedules.get(id);
  if (!schedule) throw missing('subscription_schedule', id);
  return schedule;
}

function createSchedule(ctx: RouteContext): Stripe.SubscriptionSchedule {
  const { state, params } = ctx;
  const from = str(params, 'from_subscription');
  if (!from) throw invalid('The double creates schedules from an existing subscription only (`from_subscription`).', 'from_subscription', 'parameter_missing');
  for (const param of ['customer', 'phases', 'start_date']) {
    if (params[param] !== undefined) throw invalid(`You cannot set \`${param}\` if \`from_subscription\` is set.`, param);
  }
  const subscription = findSubscription(state, from, 'from_subscription');
  if (subscription.status === 'canceled' || subscription.status === 'incomplete_expired') throw invalid(`The subscription \`${from}\` is canceled and cannot be managed by a schedule.`, 'from_subscription');
  if (subscription.schedule) throw invalid(`You cannot migrate a subscription that is already attached to a schedule: \`${String(subscription.schedule)}\`.`, 'from_subscription', 'resource_already_exists');
  const first = subscription.items.data[0];
  const phase = phaseObject({
    start: first.current_period_start, end: first.current_period_end, currency: subscription.currency, proration: 'create_prorations',
    trialEnd: subscription.status === 'trialing' ? subscription.trial_end : null, metadata: {},
    items: subscription.items.data.map((item, i) => phaseItem(state, item.price.id, item.price.recurring?.usage_type === 'metered' ? undefined : (item.quantity ?? 1), `items[${i}]`)),
  });
  const schedule = scheduleObject(state, subscription, [phase], applyMetadata({}, params));
  refreshCurrentPhase(schedule, state.now());
  state.schedules.set(schedule.id, schedule);
  const before = structuredClone(subscription);
  subscription.schedule = schedule.id;
  ctx.emit('subscription_schedule.created', schedule);
  ctx.emit('customer.subscription.updated', subscription, before);
  return schedule;
}

function updateSchedule(ctx: RouteContext): Stripe.SubscriptionSchedule {
  const { state, params } = ctx;
  const schedule = findSchedule(state, ctx.captures[0]);
  if (schedule.status !== 'active' && schedule.status !== 'not_started') throw invalid(`You cannot update a subscription schedule that is ${schedule.status}.`);
  const now = state.now();
  const given = objects(params, 'phases');
  if (params.phases !== undefined) {
    if (given.length === 0) throw invalid('A schedule must have at least one phase.', 'phases');
    const current = schedule.phases.find((p) => p.start_date <= now && now < p.end_date);
    const phases: Stripe.SubscriptionSchedule.Phase[] = [];
    let previousEnd: number | null = null;
    for (const [i, p] of given.entries()) {
      const startParam = str(p, 'start_date');
      const start: number = startParam === 'now' ? now : startParam !== undefined ? Number(startParam) : (previousEnd ?? schedule.phases[0]?.start_date ?? now);
      if (i === 0 && current && start !== current.start_date) throw invalid('You can not modify the start date of the current phase.', 'phases[0][start_date]');
      if (previousEnd !== null && start !== previousEnd) throw invalid(`Phases must be contiguous: phases[${i}][start_date] must be the end of phases[${i - 1}].`, `phases[${i}][start_date]`);
      const items = objects(p, 'items').map((item, j) => {
        const price = str(item, 'price');
        if (!price) throw invalid(`Missing required param: phases[${i}][items][${j}][price].`, `phases[${i}][items][${j}][price]`, 'parameter_missing');
        return phaseItem(state, price, num(item, 'quantity'), `phases[${i}][items][${j}][price]`);
      });
      if (items.length === 0) throw invalid(`Missing required param: phases[${i}][items].`, `phases[${i}][items]`, 'parameter_missing');
      const firstPrice = findPrice(state, String(items[0].price));
      const endParam = str(p, 'end_date');
      const duration = p.duration as Params | undefined;
      const end: number | null = endParam === 'now' ? now : endParam !== undefined ? Number(endParam)
        : duration ? addInterval(start, required(duration, 'interval'), num(duration, 'interval_count') ?? 1)
        : i === given.length - 1 ? addInterval(start, firstPrice.recurring!.interval, firstPrice.recurring!.interval_count)
        : null;
      if (end === null) throw invalid(`phases[${i}] needs an end_date (only the last phase may end by itself).`, `phases[${i}][end_date]`);
      if (!(end > start)) throw invalid(`phases[${i}][end_date] must be after its start_date.`, `phases[${i}][end_date]`);
      if (end <= now && !(current && i === 0)) throw invalid(`phases[${i}] ends in the past.`, `phases[${i}][end_date]`);
      const trialEnd = str(p, 'trial_end');
      phases.push(phaseObject({
        start, end, items, currency: firstPrice.currency, proration: str(p, 'proration_behavior') ?? 'create_prorations',
        trialEnd: trialEnd === undefined ? null : trialEnd === 'now' ? now : Number(trialEnd), metadata: applyMetadata({}, p),
      }));
      previousEnd = end;
    }
    schedule.phases = phases;
  }
  const endBehavior = str(params, 'end_behavior');
  if (endBehavior !== undefined) {
    if (!['release', 'cancel', 'none', 'renew'].includes(endBehavior)) throw invalid(`Invalid end_behavior: ${endBehavior}`, 'end_behavior');
    schedule.end_behavior = endBehavior as Stripe.SubscriptionSchedule.EndBehavior;
  }
  schedule.metadata = applyMetadata(schedule.metadata ?? {}, params);
  refreshCurrentPhase(schedule, now);
  ctx.emit('subscription_schedule.updated', schedule);
  return schedule;
}

function required(p: Params, key: string): string {
  const value = str(p, key);
  if (!value) throw invalid(`Missing required param: ${key}.`, key, 'parameter_missing');
  return value;
}

/** Ends the schedule, leaving the subscription as it is. */
export function releaseSchedule(state: StripeState, schedule: Stripe.SubscriptionSchedule): void {
  const subscription = schedule.subscription ? state.subscriptions.get(String(schedule.subscription)) : undefined;
  Object.assign(schedule, { status: 'released', released_at: state.now(), released_subscription: subscription?.id ?? null, subscription: null, current_phase: null });
  if (subscription) subscription.schedule = null;
}

export const scheduleRoutes: Route[] = [
  route('POST', '/v1/subscription_schedules', createSchedule),
  route('GET', '/v1/subscription_schedules/:id', ({ captures, state }) => findSchedule(state, captures[0])),
  route('POST', '/v1/subscription_schedules/:id', updateSchedule),
  route('POST', '/v1/subscription_schedules/:id/release', (ctx) => {
    const schedule = findSchedule(ctx.state, ctx.captures[0]);
    if (schedule.status !== 'active' && schedule.status !== 'not_started') throw invalid(`You cannot release a subscription schedule that is ${schedule.status}.`);
    const subscription = schedule.subscription ? ctx.state.subscriptions.get(String(schedule.subscription)) : undefined;
    const before = subscription && structuredClone(subscription);
    releaseSchedule(ctx.state, schedule);
    ctx.emit('subscription_schedule.released', schedule);
    if (subscription) ctx.emit('customer.subscription.updated', subscription, before);
    return schedule;
  }),
  route('GET', '/v1/subscription_schedules', ({ params, state }) => {
    const customer = str(params, 'customer');
    return listPage(newestFirst(state.schedules.values()).filter((s) => !customer || s.customer === customer), params, '/v1/subscription_schedules');
  }),
];
