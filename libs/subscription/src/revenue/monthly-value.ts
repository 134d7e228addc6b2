/**
 * What a plan or an add-on is worth a month, for readers and specs. The rule that runs is the SQL function
 * `monthly_value_cents` (migration 1764000022000, used by the history's triggers and backfill);
 * `monthly-value.e2e-spec` checks that this function and that one agree on every case of `MONTHLY_VALUE_CASES`.
 *
 * Billed (`active`, `past_due`: a failed payment is still owed) or cancelled before its end counts; a yearly
 * price counts a twelfth, rounded to the cent; a trial, an expired plan, a domain hold count nothing.
 */
export interface PricedState {
  status: string;
  /** The price for the interval billed (a tier's monthly or annual price, an add-on's price); null: none. */
  priceCents: number | null;
  billedYearly: boolean;
  quantity: number;
  /** When a cancelled plan or add-on stops (its period's end). */
  endsAt: Date | null;
}

export function monthlyValueCents(state: PricedState, at: Date): number {
  const counts = state.status === 'active' || state.status === 'past_due' || (state.status === 'cancelled' && state.endsAt !== null && state.endsAt > at);
  if (!counts) return 0;
  const price = (state.priceCents ?? 0) * state.quantity;
  return state.billedYearly ? Math.round(price / 12) : price;
}

const AT = new Date('2026-06-15T12:00:00Z');
const LATER = new Date('2026-07-01T00:00:00Z');
const EARLIER = new Date('2026-06-01T00:00:00Z');

/** The cases both copies answer alike (and the spec pins): each with the value it must have at `AT`. */
export const MONTHLY_VALUE_CASES: { name: string; state: PricedState; at: Date; cents: number }[] = [
  { name: 'a monthly plan', state: { status: 'active', priceCents: 2900, billedYearly: false, quantity: 1, endsAt: null }, at: AT, cents: 2900 },
  { name: 'an annual plan counts a twelfth', state: { status: 'active', priceCents: 29000, billedYearly: true, quantity: 1, endsAt: null }, at: AT, cents: 2417 },
  { name: 'a twelfth rounds half up', state: { status: 'active', priceCents: 6, billedYearly: true, quantity: 1, endsAt: null }, at: AT, cents: 1 },
  { name: 'past_due still counts', state: { status: 'past_due', priceCents: 7900, billedYearly: false, quantity: 1, endsAt: null }, at: AT, cents: 7900 },
  { name: 'a trial counts nothing', state: { status: 'trial', priceCents: 2900, billedYearly: false, quantity: 1, endsAt: null }, at: AT, cents: 0 },
  { name: 'expired counts nothing', state: { status: 'expired', priceCents: 2900, billedYearly: false, quantity: 1, endsAt: LATER }, at: AT, cents: 0 },
  { name: 'cancelled counts until its end', state: { status: 'cancelled', priceCents: 2900, billedYearly: false, quantity: 1, endsAt: LATER }, at: AT, cents: 2900 },
  { name: 'cancelled counts nothing after its end', state: { status: 'cancelled', priceCents: 2900, billedYearly: false, quantity: 1, endsAt: EARLIER }, at: AT, cents: 0 },
  { name: 'cancelled counts nothing at its end', state: { status: 'cancelled', priceCents: 2900, billedYearly: false, quantity: 1, endsAt: AT }, at: AT, cents: 0 },
  { name: 'cancelled without an end counts nothing', state: { status: 'cancelled', priceCents: 2900, billedYearly: false, quantity: 1, endsAt: null }, at: AT, cents: 0 },
  { name: 'no price (custom-priced) counts nothing', state: { status: 'active', priceCents: null, billedYearly: false, quantity: 1, endsAt: null }, at: AT, cents: 0 },
  { name: 'a yearly add-on, two of them', state: { status: 'active', priceCents: 1500, billedYearly: true, quantity: 2, endsAt: null }, at: AT, cents: 250 },
  { name: 'a pending hold counts nothing', state: { status: 'pending', priceCents: 1500, billedYearly: true, quantity: 1, endsAt: null }, at: AT, cents: 0 },
  { name: 'needs_attention counts nothing', state: { status: 'needs_attention', priceCents: 500, billedYearly: false, quantity: 1, endsAt: null }, at: AT, cents: 0 },
];
