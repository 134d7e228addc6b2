import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { addDays } from '@app/subscription';
import { CapacityMetricsService, type CapacityMetrics, type ResourceCapacity } from '../metrics/capacity-metrics.service.js';
import { CapacitySnapshotService, utcDay } from '../snapshots/capacity-snapshot.service.js';
import type { CapacitySnapshot } from '../snapshots/capacity-snapshot.entity.js';
import { growthTrend, type GrowthTrend } from './growth-trend.js';
import { infrastructureTierFor, type InfrastructureTier } from './infrastructure-tiers.js';

export interface GrowthTrends {
  period_days: number;
  snapshots_available: number;
  start_date: string | null;
  end_date: string | null;
  trends: Record<string, GrowthTrend>;
  message?: string;
}

export type RecommendationSeverity = 'critical' | 'warning' | 'info';

export interface Recommendation {
  category: 'capacity' | 'growth' | 'infrastructure' | 'database' | 'data';
  severity: RecommendationSeverity;
  title: string;
  description: string;
  action: string;
}

/** Which snapshot column each trend follows. */
const TREND_METRICS: Record<string, (s: CapacitySnapshot) => number> = {
  vendors: (s) => s.totalVendors,
  active_vendors: (s) => s.activeVendors,
  trial_vendors: (s) => s.trialVendors,
  subscriptions: (s) => s.totalSubscriptions,
  active_subscriptions: (s) => s.activeSubscriptions,
  products: (s) => Number(s.totalProducts),
  orders: (s) => Number(s.totalOrdersMonth),
  team_members: (s) => s.totalTeamMembers,
  db_size_mb: (s) => Number(s.dbSizeMb),
};

const SEVERITY_ORDER: Record<RecommendationSeverity, number> = { critical: 0, warning: 1, info: 2 };
const WARNING_UTILIZATION = 75;
const CRITICAL_UTILIZATION = 90;
const RAPID_MONTHLY_GROWTH_PERCENT = 20;

/** Growth trends from the daily snapshots, and scaling advice from them and the capacity now. */
@Injectable()
export class CapacityForecastService {
  constructor(
    private readonly snapshots: CapacitySnapshotService,
    private readonly metrics: CapacityMetricsService,
    private readonly clock: Clock,
  ) {}

  /** Each metric from the first snapshot of the last `days` days to the latest one. */
  async getGrowthTrends(days = 30): Promise<GrowthTrends> {
    const rows = await this.snapshots.listSince(utcDay(addDays(this.clock.now(), -days)));
    const base = { period_days: days, snapshots_available: rows.length, start_date: rows[0]?.snapshotDate ?? null, end_date: rows.at(-1)?.snapshotDate ?? null };
    if (rows.length < 2) {
      return { ...base, trends: {}, message: 'At least two daily snapshots are needed for trends; the worker captures one a day.' };
    }
    const first = rows[0];
    const last = rows[rows.length - 1];
    const spanDays = Math.round((Date.parse(last.snapshotDate) - Date.parse(first.snapshotDate)) / 86_400_000);
    const trends = Object.fromEntries(Object.entries(TREND_METRICS).map(([name, pick]) => [name, growthTrend(pick(first), pick(last), spanDays)]));
    return { ...base, trends };
  }

  /** Advice, most severe first; always ends with where the platform stands in the infrastructure table. */
  async getScalingRecommendations(current?: CapacityMetrics): Promise<Recommendation[]> {
    const metrics = current ?? (await this.metrics.measure());
    const trends = await this.getGrowthTrends(30);
    const out: Recommendation[] = [];

    const resources: [string, string, ResourceCapacity][] = [
      ['Product', 'product', metrics.products],
      ['Order', 'monthly order', metrics.ordersMonthly],
      ['Team', 'team member', metrics.teamMembers],
    ];
    for (const [label, noun, r] of resources) {
      if (r.theoreticalLimit === 0 || r.utilizationPercent < WARNING_UTILIZATION) continue;
      const critical = r.utilizationPercent >= CRITICAL_UTILIZATION;
      out.push({
        category: 'capacity',
        severity: critical ? 'critical' : 'warning',
        title: `${label} capacity ${critical ? 'nearly exhausted' : 'approaching limit'}`,
        description: `Currently at ${r.utilizationPercent}% of theoretical ${noun} capacity (${r.headroom} left on capped tiers)`,
        action: 'Consider upgrading vendor tiers or adding capacity',
      });
    }

    const { current: tier, next } = infrastructureTierFor(metrics.activeVendors);
    const vendorTrend = trends.trends.vendors;
    if (vendorTrend) {
      const monthlyGrowth = vendorTrend.daily_growth_rate * 30;
      if (monthlyGrowth >= RAPID_MONTHLY_GROWTH_PERCENT) {
        out.push({
          category: 'growth',
          severity: 'warning',
          title: 'Rapid vendor growth',
          description: `Vendors are growing ${monthlyGrowth.toFixed(1)}% a month (${vendorTrend.start_value} → ${vendorTrend.current_value})`,
          action: 'Review capacity and plan infrastructure scaling ahead of demand',
        });
      }
      if (next && vendorTrend.monthly_projection >= next.minClients && metrics.activeVendors < next.minClients) {
        out.push({
          category: 'infrastructure',
          severity: 'warning',
          title: `Infrastructure upgrade to ${next.name} likely within a month`,
          description: `Projected ${vendorTrend.monthly_projection} vendors in 30 days; the ${next.name} tier starts at ${next.minClients}`,
          action: `Plan the move to ${describe(next)}`,
        });
      }
    } else {
      out.push({
        category: 'data',
        severity: 'info',
        title: 'Not enough history for growth trends',
        description: `${trends.snapshots_available} capacity snapshot(s) in the last 30 days; trends need two`,
        action: 'Let the daily capture-capacity-snapshot job run, or POST /api/v1/admin/platform-health/snapshot',
      });
    }

    const storageGb = parseSize(tier.storage);
    const dbGb = metrics.dbSizeBytes / 1024 ** 3;
    if (storageGb && dbGb >= storageGb * 0.8) {
      out.push({
        category: 'database',
        severity: dbGb >= storageGb ? 'critical' : 'warning',
        title: 'Database size approaching the tier\'s storage',
        description: `The database uses ${dbGb.toFixed(1)} GB of the ${tier.storage} the ${tier.name} tier plans for`,
        action: 'Add storage or archive old data',
      });
    }

    out.push({
      category: 'infrastructure',
      severity: 'info',
      title: `Current tier: ${tier.name}`,
      description: next
        ? `${metrics.activeVendors} active vendors on ${describe(tier)}. Next upgrade trigger: ${next.minClients} vendors`
        : `${metrics.activeVendors} active vendors on ${describe(tier)}, the largest tier of the reference`,
      action: next ? 'Monitor growth and plan for infrastructure scaling' : 'Scale the database cluster horizontally as vendors grow',
    });
    return out.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  }
}

function describe(t: InfrastructureTier): string {
  return `${t.vcpu} vCPU, ${t.ram} RAM, ${t.storage} storage, ${t.database} (${t.monthlyCost}/month)`;
}

/** '500GB' → 500, '1TB' → 1024, '4TB+' → 4096. */
function parseSize(size: string): number | null {
  const m = /^(\d+)(GB|TB)/.exec(size);
  if (!m) return null;
  return Number(m[1]) * (m[2] === 'TB' ? 1024 : 1);
}
