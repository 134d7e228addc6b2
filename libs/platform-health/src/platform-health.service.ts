import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ACTIVE_DEFINITION, CapacityForecastService, CapacityMetricsService, infrastructureTierFor, infrastructureTierView, type CapacityMetrics, type Recommendation, type ResourceCapacity } from '@app/capacity-forecast';
import { Clock } from '@app/common';
import { JobRunnerService, WORKER_STALE_AFTER_MS, WorkerHeartbeatService } from '@app/database';
import { DataSource } from 'typeorm';

const MB = 1024 * 1024;

/** A job's latest run, for the health report. */
interface LastJobRun {
  name: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  rows_affected: number;
  error: string | null;
}

function resourceView(r: ResourceCapacity) {
  return {
    actual: r.actual,
    theoretical_limit: r.theoreticalLimit,
    utilization_percent: r.utilizationPercent,
    headroom: r.headroom,
    unlimited_subscriptions: r.unlimitedSubscriptions,
    unlimited_actual: r.unlimitedActual,
    capped_subscriptions: r.cappedSubscriptions,
    near_limit_subscriptions: r.nearLimitSubscriptions,
  };
}

/** The design note's subscription capacity: theoretical capacity of the live subscriptions vs their usage. */
export function subscriptionCapacityView(m: CapacityMetrics) {
  return {
    measured_at: m.measuredAt,
    /** The active vendors' subscriptions: the ones whose limits make up the capacity. */
    total_subscriptions: m.activeVendors,
    tier_distribution: m.tierDistribution,
    products: resourceView(m.products),
    orders_monthly: resourceView(m.ordersMonthly),
    team_members: resourceView(m.teamMembers),
  };
}

export function capacityView(m: CapacityMetrics) {
  const { current, next } = infrastructureTierFor(m.activeVendors);
  return {
    measured_at: m.measuredAt,
    active_definition: ACTIVE_DEFINITION,
    vendors: { total: m.totalVendors, active: m.activeVendors, trial: m.trialVendors, paying: m.payingVendors, deactivated: m.deactivatedVendors },
    // One subscription per vendor: `active` here is the same count as vendors.active, by the same definition.
    subscriptions: { total: m.totalSubscriptions, active: m.activeVendors, trial: m.trialVendors, paying: m.payingVendors, ended: m.endedSubscriptions },
    resources: { products: m.totalProducts, orders_this_period: m.totalOrdersThisPeriod, team_members: m.totalTeamMembers },
    database: { size_mb: Math.round((m.dbSizeBytes / MB) * 1000) / 1000 },
    infrastructure: {
      current_tier: infrastructureTierView(current),
      next_tier: next && infrastructureTierView(next),
      next_upgrade_at_vendors: next?.minClients ?? null,
    },
  };
}

/**
 * The admin's platform-health reports: capacity now (from the usage counters), subscription capacity, and the
 * full report with the database's state, the worker's last runs and the scaling recommendations.
 */
@Injectable()
export class PlatformHealthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: CapacityMetricsService,
    private readonly forecast: CapacityForecastService,
    private readonly clock: Clock,
    private readonly jobs: JobRunnerService,
    private readonly heartbeats: WorkerHeartbeatService,
  ) {}

  async getCapacity() {
    return capacityView(await this.metrics.measure());
  }

  async getSubscriptionCapacity() {
    return subscriptionCapacityView(await this.metrics.measure());
  }

  /** Everything at once; `status` is critical/degraded by the worst platform recommendation or a failing job. */
  async getHealthReport() {
    const started = performance.now();
    await this.dataSource.query('SELECT 1');
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    const m = await this.metrics.measure();
    const [recommendations, trends, jobs, workers] = await Promise.all([
      this.forecast.getScalingRecommendations(m), this.forecast.getGrowthTrends(30), this.lastJobRuns(), this.heartbeats.list(),
    ]);
    const failedJobs = jobs.filter((j) => j.status === 'failed').map((j) => j.name);
    const now = this.clock.now();
    const lastSeen = workers[0]?.last_seen_at ?? null;
    const worker = { last_seen_at: lastSeen, alive: lastSeen !== null && now.getTime() - new Date(lastSeen).getTime() <= WORKER_STALE_AFTER_MS };
    return {
      status: overallStatus(recommendations, failedJobs, worker.alive),
      checked_at: now,
      database: { status: 'up', latency_ms: latencyMs, size_mb: Math.round((m.dbSizeBytes / MB) * 1000) / 1000 },
      worker,
      capacity: capacityView(m),
      subscription_capacity: subscriptionCapacityView(m),
      trends,
      jobs: { last_runs: jobs, failing: failedJobs },
      recommendations,
    };
  }

  private async lastJobRuns(): Promise<LastJobRun[]> {
    const runs = await this.jobs.latestRunPerJob();
    return runs.map((r) => ({ name: r.name, status: r.status, started_at: r.startedAt, finished_at: r.finishedAt, rows_affected: r.rowsAffected, error: r.error }));
  }
}

/**
 * The platform's own state: its database, its infrastructure tier, its jobs and its worker. Tier capacity
 * (vendors filling their plans — an essential owner alone fills its one seat) is advice about vendors, so it is
 * reported in the recommendations but never makes the platform unhealthy.
 */
function overallStatus(recommendations: Recommendation[], failedJobs: string[], workerAlive: boolean): 'healthy' | 'degraded' | 'critical' {
  const platform = recommendations.filter((r) => r.category !== 'capacity');
  if (platform.some((r) => r.severity === 'critical')) return 'critical';
  if (failedJobs.length > 0 || !workerAlive || platform.some((r) => r.severity === 'warning')) return 'degraded';
  return 'healthy';
}
