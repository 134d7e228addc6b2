import type Stripe from 'stripe';
import type { Params } from '../form-parser.js';
import { newId } from '../store.js';
import { invalid, missing, num, obj, required, str } from '../params.js';
import type { StripeState } from '../store.js';
import { listPage, newestFirst, route, type Route } from './common.js';

/**
 * Billing Meters and meter events, as Stripe documents them (API reference "Billing Meter", "Billing Meter Event"):
 * a meter has an `event_name` (unique among active meters), a `default_aggregation.formula` (sum, count, last),
 * a `customer_mapping` (payload key, default `stripe_customer_id`) and `value_settings` (payload key, default
 * `value`). `POST /v1/billing/meter_events` takes `event_name`, `payload[...]`, optional `identifier` and
 * `timestamp` (within the past 35 days, at most 5 minutes ahead). Stripe enforces an identifier's uniqueness over a
 * rolling 24 hours: the double answers a repeated identifier within 24 h with 400 `duplicate_meter_event` and
 * counts it once. `usage(customer, event_name)` sums what was accepted.
 */
export interface AcceptedMeterEvent {
  event: Stripe.Billing.MeterEvent;
  /** Stripe's receipt time (the double's now), for the 24-hour identifier window. */
  receivedAt: number;
}

export function meterState(state: StripeState): { meters: Map<string, Stripe.Billing.Meter>; meterEvents: AcceptedMeterEvent[] } {
  return { meters: state.meters, meterEvents: state.meterEvents };
}

const DAY = 86_400;

function createMeter(state: StripeState, params: Params): Stripe.Billing.Meter {
  const { meters } = meterState(state);
  const eventName = required(params, 'event_name');
  if ([...meters.values()].some((m) => m.event_name === eventName && m.status === 'active')) {
    throw invalid(`An active meter with event_name \`${eventName}\` already exists.`, 'event_name', 'resource_already_exists');
  }
  const formula = str(obj(params, 'default_aggregation') ?? {}, 'formula');
  if (!formula || !['sum', 'count', 'last'].includes(formula)) throw invalid('Missing or invalid default_aggregation[formula].', 'default_aggregation[formula]');
  const now = state.now();
  const meter = {
    id: newId('mtr'), object: 'billing.meter', created: now, updated: now, livemode: false, status: 'active',
    display_name: required(params, 'display_name'), event_name: eventName, event_time_window: null,
    default_aggregation: { formula },
    customer_mapping: { type: 'by_id', event_payload_key: str(obj(params, 'customer_mapping') ?? {}, 'event_payload_key') ?? 'stripe_customer_id' },
    value_settings: { event_payload_key: str(obj(params, 'value_settings') ?? {}, 'event_payload_key') ?? 'value' },
    status_transitions: { deactivated_at: null },
  } as unknown as Stripe.Billing.Meter;
  meters.set(meter.id, meter);
  return meter;
}

function createMeterEvent(state: StripeState, params: Params): Stripe.Billing.MeterEvent {
  const { meters, meterEvents } = meterState(state);
  const eventName = required(params, 'event_name');
  const meter = [...meters.values()].find((m) => m.event_name === eventName && m.status === 'active');
  if (!meter) throw invalid(`No active meter with event_name \`${eventName}\`.`, 'event_name', 'resource_missing');
  const payload = obj(params, 'payload');
  if (!payload) throw invalid('Missing required param: payload.', 'payload', 'parameter_missing');
  const customer = str(payload, meter.customer_mapping.event_payload_key);
  if (!customer) throw invalid(`payload[${meter.customer_mapping.event_payload_key}] is required.`, 'payload', 'parameter_missing');
  if (!state.customers.has(customer)) throw missing('customer', customer, `payload[${meter.customer_mapping.event_payload_key}]`);
  const value = str(payload, meter.value_settings.event_payload_key) ?? '1';
  if (!/^-?\d+(\.\d+)?$/.test(value)) throw invalid(`payload[${meter.value_settings.event_payload_key}] must be a number.`, 'payload');
  const now = state.now();
  const timestamp = num(params, 'timestamp') ?? now;
  if (timestamp < now - 35 * DAY || timestamp > now + 300) throw invalid('timestamp must be within the past 35 days and at most 5 minutes in the future.', 'timestamp', 'timestamp_outside_window');
  const identifier = str(params, 'identifier') ?? newId('mev');
  if (meterEvents.some((e) => e.event.identifier === identifier && e.receivedAt > now - DAY)) {
    throw invalid(`A meter event with identifier \`${identifier}\` was already received in the last 24 hours.`, 'identifier', 'duplicate_meter_event');
  }
  const event = { object: 'billing.meter_event', created: now, event_name: eventName, identifier, livemode: false, payload: { ...payload } as Record<string, string>, timestamp } as Stripe.Billing.MeterEvent;
  meterEvents.push({ event, receivedAt: now });
  return event;
}

/** What the meter `eventName` has summed for `customer` (the accepted events' values). */
export function meterUsage(state: StripeState, customer: string, eventName: string): number {
  const { meters, meterEvents } = meterState(state);
  const meter = [...meters.values()].find((m) => m.event_name === eventName);
  const key = meter?.customer_mapping.event_payload_key ?? 'stripe_customer_id';
  const valueKey = meter?.value_settings.event_payload_key ?? 'value';
  return meterEvents.filter((e) => e.event.event_name === eventName && e.event.payload[key] === customer).reduce((sum, e) => sum + Number(e.event.payload[valueKey]), 0);
}

/**
 * What the meter `meterId` summed for `customer` over the events timestamped in [from, until): what a metered item
 * on that meter bills for that stretch of its period.
 */
export function meterUsageBetween(state: StripeState, customer: string, meterId: string, from: number, until: number): number {
  const meter = meterState(state).meters.get(meterId);
  if (!meter) return 0;
  const key = meter.customer_mapping.event_payload_key;
  const valueKey = meter.value_settings.event_payload_key;
  return meterState(state).meterEvents
    .filter((e) => e.event.event_name === meter.event_name && e.event.payload[key] === customer && e.event.timestamp >= from && e.event.timestamp < until)
    .reduce((sum, e) => sum + Number(e.event.payload[valueKey]), 0);
}

export const meterRoutes: Route[] = [
  route('POST', '/v1/billing/meters', ({ params, state }) => createMeter(state, params)),
  route('GET', '/v1/billing/meters/:id', ({ captures, state }) => {
    const meter = meterState(state).meters.get(captures[0]);
    if (!meter) throw missing('billing.meter', captures[0]);
    return meter;
  }),
  route('GET', '/v1/billing/meters', ({ params, state }) => {
    const status = str(params, 'status');
    return listPage(newestFirst(meterState(state).meters.values()).filter((m) => !status || m.status === status), params, '/v1/billing/meters');
  }),
  route('POST', '/v1/billing/meter_events', ({ params, state }) => createMeterEvent(state, params)),
];
