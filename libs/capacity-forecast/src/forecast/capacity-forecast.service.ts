import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { addDays } from '@app/subscription';
import { CapacityMetricsService, type CapacityMetrics } from '../metrics/capacity-metrics.service.js';
import { CapacitySnapshotService, utcDay } from '../snapshots/capacity-snapshot.service.js';
import type { CapacitySnapshot } from '../snapshots/capacity-snapshot.entity.js';
import { growthTrend, type GrowthTrend, type SeriesPoint } from './growth-trend.js';
import { buildRecommendations, type Recommendation } from './recommendations.js';

export interface GrowthTrends {
  period_days: number;
  snapshots_available: number;
  start_date: string | null;
  end_date: string | null;
  /** Each metric's fitted trend; empty until snapshots exist on two different days. */
  trends: Record<string, GrowthTrend>;
  /** The daily values the trends were fitted to (for charts): `dates[i]` goes with `values[metric][i]`. */
  series: { dates: string[]; values: Record<string, number[]> };
  message?: string;
}

/** Which snapshot column each trend follows. "Active" is ACTIVE_DEFINITION in every one of them. */
export const TREND_METRICS: Record<string, (s: CapacitySnapshot) => number> = {
  vendors: (s) => s.totalVendors,
  active_vendors: (s) => s.activeVendors,
  trial_vendors: (s) => s.trialVendors,
  paying_subscriptions: (s) => s.payingSubscriptions,
  products: (s) => Number(s.totalProducts),
  orders: (s) => Number(s.totalOrdersMonth),
  team_members: (s) => s.totalTeamMembers,
  db_size_mb: (s) => Number(s.dbSizeMb),
};

/** The window the recommendations' "at this rate" is measured over. */
export const RECOMMENDATION_WINDOW_DAYS = 90;

/** Growth trends fitted to the daily snapshots, and scaling advice from them and the capacity now. */
@Injectable()
export class CapacityForecastService {
  constructor(
    private readonly snapshots: CapacitySnapshotService,
    private readonly metrics: CapacityMetricsService,
    private readonly clock: Clock,
  ) {}

  /** Each metric fitted over every daily snapshot of the last `days` days (see trend-fit.ts). */
  async getGrowthTrends(days = 30): Promise<GrowthTrends> {
    const rows = await this.snapshots.listSince(utcDay(addDays(this.clock.now(), -days)));
    return growthTrendsOf(rows, days);
  }

  /** Advice, most severe first; always ends with where the platform stands in the infrastructure table. */
  async getScalingRecommendations(current?: CapacityMetrics): Promise<Recommendation[]> {
    const metrics = current ?? (await this.metrics.measure());
    const rows = await this.snapshots.listSince(utcDay(addDays(this.clock.now(), -RECOMMENDATION_WINDOW_DAYS)));
    return buildRecommendations(metrics, seriesOf(rows), RECOMMENDATION_WINDOW_DAYS);
  }
}

/** The daily series of each trend metric, oldest first. */
export function seriesOf(rows: readonly CapacitySnapshot[]): Record<string, SeriesPoint[]> {
  return Object.fromEntries(Object.entries(TREND_METRICS).map(([name, pick]) => [name, rows.map((r) => ({ date: r.snapshotDate, value: pick(r) }))]));
}

export function growthTrendsOf(rows: readonly CapacitySnapshot[], days: number): GrowthTrends {
  const series = seriesOf(rows);
  const trends: Record<string, GrowthTrend> = {};
  for (const [name, points] of Object.entries(series)) {
    const trend = growthTrend(points);
    if (trend) trends[name] = trend;
  }
  return {
    period_days: days,
    snapshots_available: rows.length,
    start_date: rows[0]?.snapshotDate ?? null,
    end_date: rows.at(-1)?.snapshotDate ?? null,
    trends,
    series: { dates: rows.map((r) => r.snapshotDate), values: Object.fromEntries(Object.entries(series).map(([k, v]) => [k, v.map((p) => p.value)])) },
    ...(rows.length < 2 && {
      message: `Trends need snapshots on two different days (${rows.length} so far); the worker captures one a day at 00:00 UTC, and a capture by hand updates today's.`,
    }),
  };
}
