import type { CapacityMetrics, ResourceCapacity } from '../metrics/capacity-metrics.service.js';
import { dateWhenReaching, dayNumber, growthTrend, type SeriesPoint } from './growth-trend.js';
import { infrastructureTierFor, type InfrastructureTier } from './infrastructure-tiers.js';

export type RecommendationSeverity = 'critical' | 'warning' | 'info';

export interface Recommendation {
  category: 'capacity' | 'growth' | 'infrastructure' | 'database' | 'data';
  severity: RecommendationSeverity;
  title: string;
  description: string;
  action: string;
}

const SEVERITY_ORDER: Record<RecommendationSeverity, number> = { critical: 0, warning: 1, info: 2 };
/** A date this close is a warning: there is just time to plan a move. */
const WARN_WITHIN_DAYS = 30;
/** Past this, a projection is too far out to name a date for. */
const HORIZON_DAYS = 365;
/** Many vendors near their plan's limits is worth telling sales: at least this many, and this share of the capped ones. */
const UPSELL_MIN_VENDORS = 10;
const UPSELL_MIN_SHARE = 0.1;
const RAPID_MONTHLY_GROWTH_PERCENT = 20;
/** Below this r² the line is a loose guide, and the advice says so. */
const LOOSE_FIT_R2 = 0.5;
/** The database should stay under this share of the tier's planned storage. */
const STORAGE_WARN_SHARE = 0.8;

/**
 * Scaling advice from the capacity now and the daily series of the last `windowDays` days, most severe first.
 * Dates come from the fitted lines (growth-trend.ts). Vendors filling their own plans is not a platform limit:
 * it is reported only when many are near their limits, and then as an upsell signal (info), never as a warning.
 */
export function buildRecommendations(metrics: CapacityMetrics, series: Record<string, SeriesPoint[]>, windowDays: number): Recommendation[] {
  const out: Recommendation[] = [];
  const { current: tier, next } = infrastructureTierFor(metrics.activeVendors);
  const active = series.active_vendors ?? [];
  const lastDate = active.at(-1)?.date;
  const daysFromLast = (date: string) => dayNumber(date) - dayNumber(lastDate!);

  for (const [noun, r] of [['product', metrics.products], ['monthly order', metrics.ordersMonthly], ['team member', metrics.teamMembers]] as [string, ResourceCapacity][]) {
    if (r.nearLimitSubscriptions >= UPSELL_MIN_VENDORS && r.nearLimitSubscriptions >= r.cappedSubscriptions * UPSELL_MIN_SHARE) {
      const share = Math.round((r.nearLimitSubscriptions / r.cappedSubscriptions) * 100);
      out.push({
        category: 'capacity',
        severity: 'info',
        title: `${r.nearLimitSubscriptions} vendors near their ${noun} limit`,
        description: `${r.nearLimitSubscriptions} of ${r.cappedSubscriptions} active vendors on plans that cap ${noun}s (${share}%) use 90% or more of their limit. This is their plans filling up, not the platform's capacity.`,
        action: 'An upsell signal: offer them the next tier',
      });
    }
  }

  const trend = growthTrend(active);
  if (!trend) {
    out.push({
      category: 'data',
      severity: 'info',
      title: 'Not enough history for growth trends',
      description: `${active.length} daily capacity snapshot(s) in the last ${windowDays} days; a trend needs snapshots on two different days`,
      action: 'The worker captures one a day at 00:00 UTC; trends and dates appear from the second day',
    });
  } else {
    const rate = `${formatSigned(trend.slope_per_day)} active vendors a day over the last ${windowDays} days${fitNote(trend.r_squared)}`;
    // A month's growth relative to where the line is now (not to the window's start, which overstates it).
    const monthlyGrowth = trend.fitted_current > 0 ? ((trend.slope_per_day * 30) / trend.fitted_current) * 100 : 0;
    if (monthlyGrowth >= RAPID_MONTHLY_GROWTH_PERCENT) {
      out.push({
        category: 'growth',
        severity: 'info',
        title: `Active vendors growing ${monthlyGrowth.toFixed(0)}% a month`,
        description: `${rate}: about ${trend.projection_30d.toFixed(0)} in 30 days and ${trend.projection_90d.toFixed(0)} in 90`,
        action: 'Review the infrastructure dates below ahead of demand',
      });
    }
    if (next) {
      const date = dateWhenReaching(active, next.minClients);
      const days = date === null ? null : daysFromLast(date);
      if (date !== null && days !== null && days <= HORIZON_DAYS) {
        out.push({
          category: 'infrastructure',
          severity: days <= WARN_WITHIN_DAYS ? 'warning' : 'info',
          title: `At this rate ${next.minClients} active vendors, the next infrastructure tier (${next.name}), around ${date}`,
          description: `${rate}. The ${next.name} tier starts at ${next.minClients} active vendors: ${describe(next)}`,
          action: days <= WARN_WITHIN_DAYS ? `Plan the move to ${next.name} now` : `Plan the move to ${next.name} before ${date}`,
        });
      } else {
        out.push({
          category: 'infrastructure',
          severity: 'info',
          title: `No infrastructure change in sight (next tier at ${next.minClients} active vendors)`,
          description: trend.slope_per_day > 0 ? `${rate}: ${next.minClients} is more than a year away` : `${rate}: active vendors are not growing`,
          action: 'Nothing to do; the dates here follow the daily snapshots',
        });
      }
    }
  }

  const storageMb = parseSizeGb(tier.storage) * 1024;
  const dbMb = metrics.dbSizeBytes / 1024 ** 2;
  const limitMb = storageMb * STORAGE_WARN_SHARE;
  if (storageMb > 0) {
    const dbSeries = series.db_size_mb ?? [];
    const date = dbMb < limitMb ? dateWhenReaching(dbSeries, limitMb) : null;
    const days = date === null || !lastDate ? null : daysFromLast(date);
    if (dbMb >= limitMb) {
      out.push({
        category: 'database',
        severity: dbMb >= storageMb ? 'critical' : 'warning',
        title: "Database size near the tier's storage",
        description: `The database uses ${(dbMb / 1024).toFixed(1)} GB of the ${tier.storage} the ${tier.name} tier plans for`,
        action: 'Add storage or archive old data',
      });
    } else if (days !== null && days <= HORIZON_DAYS) {
      out.push({
        category: 'database',
        severity: days <= WARN_WITHIN_DAYS * 3 ? 'warning' : 'info',
        title: `At this rate the database reaches ${Math.round(STORAGE_WARN_SHARE * 100)}% of its storage around ${date}`,
        description: `${(dbMb / 1024).toFixed(2)} GB now of the ${tier.storage} the ${tier.name} tier plans for`,
        action: 'Add storage or archive old data before then',
      });
    }
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

export function describe(t: InfrastructureTier): string {
  return `${t.vcpu} vCPU, ${t.ram} RAM, ${t.storage} storage, ${t.database} (${t.monthlyCost}/month)`;
}

function fitNote(r2: number | null): string {
  if (r2 === null) return '';
  return r2 < LOOSE_FIT_R2 ? ` (a loose fit, r² ${r2.toFixed(2)}: treat dates as rough)` : ` (r² ${r2.toFixed(2)})`;
}

function formatSigned(n: number): string {
  const s = Math.abs(n) >= 10 ? n.toFixed(0) : n.toFixed(2);
  return n > 0 ? `+${s}` : s;
}

/** '500GB' → 500, '1TB' → 1024, '4TB+' → 4096; 0 when unreadable. */
function parseSizeGb(size: string): number {
  const m = /^(\d+)(GB|TB)/.exec(size);
  return m ? Number(m[1]) * (m[2] === 'TB' ? 1024 : 1) : 0;
}
