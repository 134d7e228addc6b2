import { defaultTier } from '../tiers/tier-info.js';
import { toTierView, usageMeter } from './subscription-view.js';

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
