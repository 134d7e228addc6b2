import { round } from '../metrics/capacity-metrics.service.js';

export interface GrowthTrend {
  start_value: number;
  current_value: number;
  change: number;
  /** change / start, in percent (0 when the start was 0). */
  growth_rate_percent: number;
  /** growth_rate_percent spread over the days between the two snapshots: percent per day. */
  daily_growth_rate: number;
  /** current_value grown for 30 more days at the daily rate. */
  monthly_projection: number;
}

/**
 * The growth of one metric between two snapshots `spanDays` apart, as the design note computes it
 * (140 → 150 vendors over 30 days: 7.14 %, 0.238 %/day, 161 in a month).
 */
export function growthTrend(start: number, current: number, spanDays: number): GrowthTrend {
  const change = current - start;
  const growthRate = start === 0 ? 0 : (change / start) * 100;
  const daily = growthRate / Math.max(1, spanDays);
  return {
    start_value: start,
    current_value: current,
    change,
    growth_rate_percent: round(growthRate, 2),
    daily_growth_rate: round(daily, 3),
    monthly_projection: Math.round(current * (1 + (daily * 30) / 100)),
  };
}
