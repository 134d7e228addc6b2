import type { Stripe } from '@app/stripe';
import { legacySubscription, openapiFixture } from './fixtures/stripe-shapes.js';
import { readStamp, toSubscriptionPatch } from './subscription-patch.js';

const now = new Date('2026-12-01T12:00:00Z');
const unix = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

function subscription(over: Partial<Stripe.Subscription> = {}, item: Record<string, unknown> = {}): Stripe.Subscription {
  return {
    id: 'sub_1', object: 'subscription', status: 'active', customer: 'cus_1', metadata: { vendor_id: '42', tier_code: 'business' },
    cancel_at_period_end: false, canceled_at: null, ended_at: null, trial_end: null, default_payment_method: null, default_source: null,
    items: { data: [{ id: 'si_1', price: { id: 'price_b', unit_amount: 19900, recurring: { interval: 'month' } }, current_period_start: unix('2026-11-15T00:00:00Z'), current_period_end: unix('2026-12-15T00:00:00Z'), ...item }] },
    ...over,
  } as unknown as Stripe.Subscription;
}

describe('toSubscriptionPatch', () => {
  it('maps an active subscription: ids, price, interval, metadata tier, period from the item', () => {
    expect(toSubscriptionPatch(subscription(), { now })).toEqual({
      subscriptionId: 'sub_1', customerId: 'cus_1', vendorId: 42, priceId: 'price_b', priceAmountCents: 19900, priceIds: ['price_b'], tierCode: 'business', isAnnual: false,
      status: 'active', ended: false, trialEndsAt: null,
      period: { start: new Date('2026-11-15T00:00:00Z'), end: new Date('2026-12-15T00:00:00Z') },
      cancelAtPeriodEnd: false, cancelAt: null, cancelledAt: null, endedAt: null, hasPaymentMethod: true,
    });
  });

  it('treats a deletion as final whatever the payload says, and ends access when it ended', () => {
    const patch = toSubscriptionPatch(subscription({ status: 'active', ended_at: unix('2026-12-01T10:00:00Z') }), { now, deleted: true });
    expect(patch).toMatchObject({ status: 'cancelled', ended: true, cancelledAt: new Date('2026-12-01T10:00:00Z'), endedAt: new Date('2026-12-01T10:00:00Z') });
  });

  it('keeps our status for incomplete and paused, and knows incomplete no longer stands for the plan', () => {
    expect(toSubscriptionPatch(subscription({ status: 'incomplete' }), { now })).toMatchObject({ status: null, ended: true });
    expect(toSubscriptionPatch(subscription({ status: 'paused' }), { now })).toMatchObject({ status: null, ended: false });
  });

  it('maps trialing, past_due and unpaid, the trial end and a scheduled cancellation', () => {
    const trial = toSubscriptionPatch(subscription({ status: 'trialing', trial_end: unix('2026-12-20T00:00:00Z') }), { now });
    expect(trial).toMatchObject({ status: 'trial', trialEndsAt: new Date('2026-12-20T00:00:00Z'), hasPaymentMethod: false });
    expect(toSubscriptionPatch(subscription({ status: 'unpaid' }), { now }).status).toBe('past_due');
    const cancelling = toSubscriptionPatch(subscription({ cancel_at_period_end: true, canceled_at: unix('2026-12-01T09:00:00Z') }), { now });
    expect(cancelling).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, cancelledAt: new Date('2026-12-01T09:00:00Z'), endedAt: null });
  });

  it('reads an annual price, a bad metadata vendor id as none, and an item without a period as no period', () => {
    const patch = toSubscriptionPatch(subscription({ metadata: { vendor_id: 'abc' } }, { price: { id: 'price_y', recurring: { interval: 'year' } }, current_period_end: unix('2026-11-15T00:00:00Z') }), { now });
    expect(patch).toMatchObject({ vendorId: null, tierCode: null, isAnnual: true, period: null });
  });
});

describe('toSubscriptionPatch across API versions', () => {
  const period = { start: new Date('2026-11-15T00:00:00Z'), end: new Date('2026-12-15T00:00:00Z') };
  const legacy = (version: '2020-08-27' | '2024-06-20', over: Partial<Parameters<typeof legacySubscription>[1]> = {}) =>
    legacySubscription(version, {
      id: 'sub_old', customer: 'cus_old', prices: [{ id: 'price_b', lookup_key: 'tier:business:month' }], periodStart: unix('2026-11-15T00:00:00Z'),
      periodEnd: unix('2026-12-15T00:00:00Z'), metadata: { vendor_id: '42' }, ...over,
    });

  it.each(['2020-08-27', '2024-06-20'] as const)('maps a %s subscription: the period from the subscription, the price from the item', (version) => {
    expect(toSubscriptionPatch(legacy(version), { now })).toEqual({
      subscriptionId: 'sub_old', customerId: 'cus_old', vendorId: 42, priceId: 'price_b', priceAmountCents: expect.any(Number), priceIds: ['price_b'], tierCode: null, isAnnual: false,
      status: 'active', ended: false, trialEndsAt: null, period, cancelAtPeriodEnd: false, cancelAt: null, cancelledAt: null, endedAt: null, hasPaymentMethod: true,
    });
  });

  it('maps a 2020-08-27 plan on the second item (an add-on first) and a cancel_at on another date', () => {
    const sub = legacy('2020-08-27', { prices: [{ id: 'price_addon', lookup_key: 'addon:custom_domain' }, { id: 'price_y', interval: 'year' }], cancel_at: unix('2026-12-01T00:00:00Z') });
    expect(toSubscriptionPatch(sub, { now })).toMatchObject({
      priceId: 'price_y', priceIds: ['price_y', 'price_addon'], isAnnual: true, period, cancelAtPeriodEnd: false, cancelAt: new Date('2026-12-01T00:00:00Z'),
    });
  });

  it('maps a cancel_at on the period end (cancel_at_period_end false) as a cancellation at the period end', () => {
    expect(toSubscriptionPatch(legacy('2024-06-20', { cancel_at: unix('2026-12-15T00:00:00Z') }), { now })).toMatchObject({ cancelAtPeriodEnd: true, cancelAt: null });
    expect(toSubscriptionPatch(subscription({ cancel_at: unix('2026-12-15T00:00:00Z') }), { now })).toMatchObject({ cancelAtPeriodEnd: true, cancelAt: null });
  });

  it("maps Stripe's example subscription (current shape, made-up values)", () => {
    // Its item's period ends before it starts (no period), and it is canceled with cancel_at_period_end: the plan's
    // end is recorded, no other cancellation date.
    const sub = openapiFixture('subscription');
    expect(toSubscriptionPatch(sub, { now, deleted: true })).toEqual({
      subscriptionId: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw', customerId: 'cus_QXg1o8vcGmoR32', vendorId: null, priceId: 'price_1PgafmB7WZ01zgkW6dKueIc5',
      priceAmountCents: expect.anything(), priceIds: ['price_1PgafmB7WZ01zgkW6dKueIc5'], tierCode: null, isAnnual: false, status: 'cancelled', ended: true, trialEndsAt: new Date(1234567890 * 1000),
      period: null, cancelAtPeriodEnd: true, cancelAt: null, cancelledAt: new Date(1234567890 * 1000), endedAt: new Date(1234567890 * 1000), hasPaymentMethod: false,
    });
    expect(toSubscriptionPatch(sub, { now })).toMatchObject({ status: 'active', ended: false, cancelAtPeriodEnd: true, cancelAt: null, hasPaymentMethod: true });
  });
});

describe('readStamp', () => {
  it('is the whole second the read began in', () => {
    expect(readStamp(new Date('2026-12-01T12:00:07.999Z'))).toEqual({ kind: 'read', at: new Date('2026-12-01T12:00:07.000Z') });
  });
});
