import { growthTrend } from './growth-trend.js';

describe('growthTrend', () => {
  it('matches the design note: 140 → 150 vendors over 30 days', () => {
    expect(growthTrend(140, 150, 30)).toEqual({
      start_value: 140, current_value: 150, change: 10, growth_rate_percent: 7.14, daily_growth_rate: 0.238, monthly_projection: 161,
    });
  });

  it('reports no rate from a zero start rather than dividing by zero', () => {
    expect(growthTrend(0, 25, 10)).toMatchObject({ change: 25, growth_rate_percent: 0, daily_growth_rate: 0, monthly_projection: 25 });
  });

  it('projects a decline downwards', () => {
    const t = growthTrend(200, 180, 10);
    expect(t.growth_rate_percent).toBe(-10);
    expect(t.daily_growth_rate).toBe(-1);
    expect(t.monthly_projection).toBe(126);
  });
});
