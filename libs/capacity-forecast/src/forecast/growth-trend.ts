import { round } from '../metrics/capacity-metrics.service.js';
import { fitTrend, valueAt, xWhenReaching, type TrendFit } from './trend-fit.js';

const DAY_MS = 86_400_000;

/** One day of one metric. */
export interface SeriesPoint {
  /** YYYY-MM-DD (UTC). */
  date: string;
  value: number;
}

export interface GrowthTrend {
  /** The first and the latest snapshot as recorded. */
  start_value: number;
  current_value: number;
  change: number;
  /** The fitted line's change over the window, in percent of its value at the window's start (0 from a zero start). */
  growth_rate_percent: number;
  /** growth_rate_percent per day of the window. */
  daily_growth_rate: number;
  /** The fitted line's slope: units per day. */
  slope_per_day: number;
  /** The fitted line at the latest snapshot's date. */
  fitted_current: number;
  /** The fitted line 30 and 90 days after the latest snapshot (never below 0). */
  projection_30d: number;
  projection_90d: number;
  /** The design note's name for projection_30d, rounded to a whole number. */
  monthly_projection: number;
  /** How well the line fits the days it was fitted to (1 = exactly); null with fewer than 3 snapshots. */
  r_squared: number | null;
  /** Snapshots the line was fitted to, and the dates set aside as outliers. */
  points: number;
  outliers: string[];
  method: TrendFit['method'];
  /** Plain least squares over every snapshot, for comparison. */
  least_squares_all: { slope_per_day: number; r_squared: number | null };
}

export function dayNumber(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

export function dateOfDay(day: number): string {
  return new Date(Math.round(day) * DAY_MS).toISOString().slice(0, 10);
}

/** The fitted trend of a daily series, oldest first; null with fewer than two snapshots (no line through one point). */
export function growthTrend(series: readonly SeriesPoint[]): GrowthTrend | null {
  if (series.length < 2) return null;
  const origin = dayNumber(series[0].date);
  const points = series.map((s) => ({ x: dayNumber(s.date) - origin, y: s.value }));
  const fit = fitTrend(points);
  const lastX = points[points.length - 1].x;
  const spanDays = Math.max(1, lastX);
  const fittedStart = valueAt(fit, 0);
  const fittedCurrent = valueAt(fit, lastX);
  const growthRate = fittedStart > 0 ? ((fittedCurrent - fittedStart) / fittedStart) * 100 : 0;
  const projection30 = Math.max(0, valueAt(fit, lastX + 30));
  return {
    start_value: series[0].value,
    current_value: series[series.length - 1].value,
    change: round(series[series.length - 1].value - series[0].value, 3),
    growth_rate_percent: round(growthRate, 2),
    daily_growth_rate: round(growthRate / spanDays, 3),
    slope_per_day: round(fit.slope, 4),
    fitted_current: round(fittedCurrent, 2),
    projection_30d: round(projection30, 2),
    projection_90d: round(Math.max(0, valueAt(fit, lastX + 90)), 2),
    monthly_projection: Math.round(projection30),
    r_squared: fit.r_squared === null ? null : round(fit.r_squared, 4),
    points: fit.n,
    outliers: fit.outliers.map((i) => series[i].date),
    method: fit.method,
    least_squares_all: { slope_per_day: round(fit.all.slope, 4), r_squared: fit.all.r_squared === null ? null : round(fit.all.r_squared, 4) },
  };
}

/**
 * The UTC date at which the series' fitted line reaches `target`, counting from its latest snapshot: that
 * snapshot's date when it is already there, null when the line never gets there.
 */
export function dateWhenReaching(series: readonly SeriesPoint[], target: number): string | null {
  if (series.length < 2) return null;
  const origin = dayNumber(series[0].date);
  const fit = fitTrend(series.map((s) => ({ x: dayNumber(s.date) - origin, y: s.value })));
  const x = xWhenReaching(fit, target, dayNumber(series[series.length - 1].date) - origin);
  return x === null ? null : dateOfDay(origin + Math.ceil(x));
}
