import type { Stripe } from '@app/stripe';
import { readStamp, toSubscriptionPatch } from './subscription-patch.js';

const now = new Date('2026-12-01T12:00:00Z');
const unix = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

function subscription(over: Partial<Stripe.Subscription> = {}, item: Record<string, unknown> = {}): Stripe.Subscription {
  return {
    id: 'sub_1', object: 'subscription', status: 'active', customer: 'cus_1', metadata: { vendor_id: '42', tier_code: 'business' },
    cancel_at_period_end: false, canceled_at: null, ended_at: null, trial_end: null, default_payment_method: null, default_source: null,
    items: { data: [{ id: 'si_1', price: { id: 'price_b', recurring: { interval: 'month' } }, current_period_start: unix('2026-11-15T00:00:00Z'), current_period_end: unix('2026-12-15T00:00:00Z'), ...item }] },
    ...over,
  } as unknown as Stripe.Subscription;
}

describe('toSubscriptionPatch', () => {
  it('maps an active subscription: ids, price, interval, metadata tier, period from the item', () => {
    expect(toSubscriptionPatch(subscription(), { now })).toEqual({
      subscriptionId: 'sub_1', customerId: 'cus_1', vendorId: 42, priceId: 'price_b', tierCode: 'business', isAnnual: false,
      status: 'active', ended: false, trialEndsAt: null,
      period: { start: new Date('2026-11-15T00:00:00Z'), end: new Date('2026-12-15T00:00:00Z') },
      cancelAtPeriodEnd: false, cancelledAt: null, endedAt: null, hasPaymentMethod: true,
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

describe('readStamp', () => {
  it('is the whole second the read began in', () => {
    expect(readStamp(new Date('2026-12-01T12:00:07.999Z'))).toEqual({ kind: 'read', at: new Date('2026-12-01T12:00:07.000Z') });
  });
});
