import { dateWhenReaching, growthTrend, type SeriesPoint } from './growth-trend.js';

/** A daily series from `start`: value(i) for i = 0 … days−1. */
function daily(start: string, days: number, value: (i: number) => number): SeriesPoint[] {
  const t0 = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => ({ date: new Date(t0 + i * 86_400_000).toISOString().slice(0, 10), value: value(i) }));
}

describe('growthTrend', () => {
  it('fits the design note\'s example: 140 → 150 vendors over 30 days', () => {
    const t = growthTrend([{ date: '2026-02-13', value: 140 }, { date: '2026-02-28', value: 145 }, { date: '2026-03-15', value: 150 }])!;
    expect(t).toMatchObject({
      start_value: 140, current_value: 150, change: 10, growth_rate_percent: 7.14, daily_growth_rate: 0.238,
      slope_per_day: 0.3333, fitted_current: 150, projection_30d: 160, projection_90d: 180, monthly_projection: 160,
      r_squared: 1, points: 3, outliers: [], method: 'least_squares',
    });
  });

  it('projects 30 and 90 days from every daily snapshot, with the fit\'s r²', () => {
    const t = growthTrend(daily('2026-01-01', 31, (i) => 100 + 2 * i + (i % 2 ? 1 : -1)))!;
    expect(t.slope_per_day).toBeCloseTo(2, 1);
    expect(t.projection_30d).toBeCloseTo(160 + 60, -1);
    expect(t.projection_90d).toBeCloseTo(160 + 180, -1);
    expect(t.r_squared!).toBeGreaterThan(0.99);
    expect(t.points).toBe(31);
  });

  it('follows the line when the first and last days are outliers, and names them', () => {
    const series = daily('2026-01-01', 30, (i) => 100 + 2 * i);
    series[0].value = 300;
    series[29].value = 0;
    const t = growthTrend(series)!;
    expect(t).toMatchObject({ start_value: 300, current_value: 0, slope_per_day: 2, fitted_current: 158, projection_30d: 218, projection_90d: 338 });
    expect(t.outliers).toEqual(['2026-01-01', '2026-01-30']);
    expect(t.method).toBe('least_squares_trimmed');
    expect(t.least_squares_all.slope_per_day).toBeLessThan(1);
  });

  it('handles gaps between snapshots by their dates', () => {
    const t = growthTrend([{ date: '2026-01-01', value: 10 }, { date: '2026-01-11', value: 20 }, { date: '2026-01-12', value: 21 }])!;
    expect(t.slope_per_day).toBe(1);
  });

  it('answers null for fewer than two snapshots, and no r² for two', () => {
    expect(growthTrend([])).toBeNull();
    expect(growthTrend([{ date: '2026-01-01', value: 5 }])).toBeNull();
    expect(growthTrend([{ date: '2026-01-01', value: 5 }, { date: '2026-01-02', value: 6 }])!.r_squared).toBeNull();
  });

  it('projects a decline downwards, never below zero, and reports no rate from a zero start', () => {
    const down = growthTrend(daily('2026-01-01', 11, (i) => 200 - 2 * i))!;
    expect(down).toMatchObject({ growth_rate_percent: -10, daily_growth_rate: -1, projection_30d: 120, projection_90d: 0 });
    expect(growthTrend(daily('2026-01-01', 10, (i) => i))!.growth_rate_percent).toBe(0);
  });
});

describe('dateWhenReaching', () => {
  it('names the day the fitted line reaches a target', () => {
    // 100 on 2026-01-01, +2 a day: 300 on day 100 = 2026-04-11.
    expect(dateWhenReaching(daily('2026-01-01', 30, (i) => 100 + 2 * i), 300)).toBe('2026-04-11');
  });

  it('answers the latest date when already there, and null for a flat or falling line', () => {
    expect(dateWhenReaching(daily('2026-01-01', 30, (i) => 100 + 2 * i), 120)).toBe('2026-01-30');
    expect(dateWhenReaching(daily('2026-01-01', 30, () => 100), 300)).toBeNull();
    expect(dateWhenReaching(daily('2026-01-01', 30, (i) => 100 - i), 300)).toBeNull();
    expect(dateWhenReaching(daily('2026-01-01', 1, () => 100), 300)).toBeNull();
  });
});
