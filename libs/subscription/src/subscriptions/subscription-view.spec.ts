import { defaultTier } from '../tiers/tier-info.js';
import { toSubscriptionView, toTierView, usageMeter } from './subscription-view.js';
import type { VendorSubscription } from './vendor-subscription.entity.js';

describe('usage meters', () => {
  it('gives a percent of the limit to one decimal, and none when unlimited', () => {
    expect(usageMeter(1, 3)).toEqual({ current: 1, limit: 3, percent: 33.3, threshold_reached: null });
    expect(usageMeter(200, 200)).toEqual({ current: 200, limit: 200, percent: 100, threshold_reached: null });
    expect(usageMeter(5, null)).toEqual({ current: 5, limit: null, percent: null, threshold_reached: null });
  });

  it('shows the highest threshold reported this period that usage still meets', () => {
    expect(usageMeter(8, 10, [80]).threshold_reached).toBe(80);
    expect(usageMeter(10, 10, [80, 100]).threshold_reached).toBe(100);
    // Products deleted below 80 %, or an upgrade: the notice goes.
    expect(usageMeter(7, 10, [80]).threshold_reached).toBeNull();
    expect(usageMeter(10, 100, [80, 100]).threshold_reached).toBeNull();
    expect(usageMeter(9, 10, []).threshold_reached).toBeNull();
  });

  it('shows a zero limit as empty or full, and usage above a lowered limit as over 100', () => {
    expect(usageMeter(0, 0).percent).toBe(0);
    expect(usageMeter(2, 0).percent).toBe(100);
    expect(usageMeter(300, 200).percent).toBe(150);
  });
});

describe('tier views', () => {
  const essential = defaultTier('essential')!;
  const business = defaultTier('business')!;
  const enterprise = defaultTier('enterprise')!;

  it('ranks tiers by display order relative to the current one', () => {
    expect(toTierView(essential, business)).toMatchObject({ is_current: false, can_upgrade: false, can_downgrade: true });
    expect(toTierView(enterprise, business)).toMatchObject({ can_upgrade: true, can_downgrade: false });
    expect(toTierView(business, business)).toMatchObject({ is_current: true, can_upgrade: false, can_downgrade: false });
  });

  it('falls back to price when display orders tie', () => {
    const cheap = { ...business, code: 'cheap', priceMonthlyCents: 100 };
    expect(toTierView(business, cheap).can_upgrade).toBe(true);
    expect(toTierView(cheap, business).can_downgrade).toBe(true);
  });
});

describe('a scheduled cancellation in the view', () => {
  const tier = defaultTier('business')!;
  const periodEnd = new Date('2026-12-15T00:00:00Z');
  const base = {
    status: 'active', isAnnual: false, trialEndsAt: null, periodStart: new Date('2026-11-15T00:00:00Z'), periodEnd, cancelAtPeriodEnd: false, cancelAt: null,
    cancelledAt: null, hasPaymentMethod: true, pastDueSince: null, stripeSubscriptionId: 'sub_1', productsCount: 0, ordersThisPeriod: 0, teamMembersCount: 1,
  } as unknown as VendorSubscription;

  it('shows one at the period end with its date', () => {
    expect(toSubscriptionView({ ...base, cancelAtPeriodEnd: true }, tier)).toMatchObject({ cancel_at_period_end: true, cancel_at: periodEnd.toISOString(), ends_at: periodEnd.toISOString() });
  });

  it('shows one on another date (Stripe cancel_at) as cancel_at, and none when none is scheduled', () => {
    const at = new Date('2026-12-01T00:00:00Z');
    expect(toSubscriptionView({ ...base, cancelAt: at }, tier)).toMatchObject({ cancel_at_period_end: false, cancel_at: at.toISOString(), ends_at: at.toISOString() });
    expect(toSubscriptionView(base, tier)).toMatchObject({ cancel_at_period_end: false, cancel_at: null, ends_at: null });
    expect(toSubscriptionView({ ...base, status: 'cancelled', cancelAt: at } as VendorSubscription, tier)).toMatchObject({ cancel_at: null });
  });
});
