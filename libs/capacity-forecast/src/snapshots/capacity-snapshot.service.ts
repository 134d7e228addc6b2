import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, DomainError } from '@app/common';
import { AdvisoryLock, JobRunnerService, type JobName } from '@app/database';
import { DataSource, type EntityManager } from 'typeorm';
import { CapacityMetricsService } from '../metrics/capacity-metrics.service.js';
import { CapacitySnapshot } from './capacity-snapshot.entity.js';

const CAPTURE_JOB_NAME: JobName = 'capture-capacity-snapshot';
/** How long an admin's "capture now" waits for a capture in progress (each takes milliseconds). */
const CAPTURE_WAIT_MS = 10_000;
const BYTES_PER_MB = 1024 * 1024;
const BYTES_PER_GB = 1024 * BYTES_PER_MB;

/** The UTC calendar day of an instant, as `YYYY-MM-DD`. */
export function utcDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/**
 * One `capacity_snapshots` row per UTC day: a second capture the same day updates that row. The metrics come
 * from the counters (CapacityMetricsService), never from scanning products or orders. This system keeps no
 * files, so the storage it uses is its database: `storage_used_gb` is the database size in GB.
 */
@Injectable()
export class CapacitySnapshotService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: CapacityMetricsService,
    private readonly clock: Clock,
    private readonly jobs: JobRunnerService,
  ) {}

  /** Captures today's snapshot in the caller's transaction (the worker job, under its lock). */
  async capture(manager: EntityManager): Promise<CapacitySnapshot> {
    const m = await this.metrics.measure(manager);
    const [row] = await manager.query(
      `INSERT INTO capacity_snapshots (snapshot_date, total_vendors, active_vendors, trial_vendors, total_subscriptions,
              paying_subscriptions, total_products, total_orders_month, total_team_members, storage_used_gb, db_size_mb,
              theoretical_products_limit, theoretical_orders_limit, theoretical_team_limit, tier_distribution, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (snapshot_date) DO UPDATE SET
              total_vendors = EXCLUDED.total_vendors, active_vendors = EXCLUDED.active_vendors,
              trial_vendors = EXCLUDED.trial_vendors, total_subscriptions = EXCLUDED.total_subscriptions,
              paying_subscriptions = EXCLUDED.paying_subscriptions, total_products = EXCLUDED.total_products,
              total_orders_month = EXCLUDED.total_orders_month, total_team_members = EXCLUDED.total_team_members,
              storage_used_gb = EXCLUDED.storage_used_gb, db_size_mb = EXCLUDED.db_size_mb,
              theoretical_products_limit = EXCLUDED.theoretical_products_limit,
              theoretical_orders_limit = EXCLUDED.theoretical_orders_limit,
              theoretical_team_limit = EXCLUDED.theoretical_team_limit, tier_distribution = EXCLUDED.tier_distribution
       RETURNING id`,
      [
        utcDay(m.measuredAt), m.totalVendors, m.activeVendors, m.trialVendors, m.totalSubscriptions, m.payingVendors,
        m.totalProducts, m.totalOrdersThisPeriod, m.totalTeamMembers, (m.dbSizeBytes / BYTES_PER_GB).toFixed(3),
        (m.dbSizeBytes / BYTES_PER_MB).toFixed(3), m.products.theoreticalLimit, m.ordersMonthly.theoreticalLimit,
        m.teamMembers.theoreticalLimit, JSON.stringify(m.tierDistribution), m.measuredAt,
      ],
    );
    return manager.getRepository(CapacitySnapshot).findOneByOrFail({ id: row.id });
  }

  /**
   * The admin's "capture now": a run of the capture-capacity-snapshot job (a `job_runs` row saying who asked),
   * waiting for the job's lock instead of skipping, so a click during the nightly run runs right after it. Runs
   * wait their turn without holding a connection; one that waited longer than CAPTURE_WAIT_MS answers 503.
   */
  async captureNow(requestedBy: { adminUserId: number }): Promise<CapacitySnapshot> {
    let snapshot: CapacitySnapshot | undefined;
    const run = await this.jobs.run(
      CAPTURE_JOB_NAME,
      AdvisoryLock.CaptureCapacitySnapshot,
      async (manager) => {
        snapshot = await this.capture(manager);
        return { rowsAffected: 1, details: { snapshot_date: snapshot.snapshotDate, total_vendors: snapshot.totalVendors, trigger: 'manual', admin_user_id: requestedBy.adminUserId } };
      },
      { waitForLockMs: CAPTURE_WAIT_MS },
    );
    if (run.status === 'skipped') throw new DomainError('SERVICE_UNAVAILABLE', 'Another capacity snapshot is running; try again shortly.');
    if (run.status !== 'succeeded' || !snapshot) throw new Error(`The capacity snapshot failed: ${run.error ?? run.status}`);
    return snapshot;
  }

  /** Snapshots from `fromDay` (YYYY-MM-DD, inclusive) on, oldest first. */
  listSince(fromDay: string): Promise<CapacitySnapshot[]> {
    return this.dataSource
      .getRepository(CapacitySnapshot)
      .createQueryBuilder('s')
      .where('s.snapshot_date >= :fromDay', { fromDay })
      .orderBy('s.snapshot_date', 'ASC')
      .getMany();
  }
}

/** A snapshot as the admin API shows it (snake_case, numbers as numbers). */
export function snapshotView(s: CapacitySnapshot) {
  const num = (v: string | null) => (v === null ? null : Number(v));
  return {
    id: s.id,
    snapshot_date: s.snapshotDate,
    total_vendors: s.totalVendors,
    active_vendors: s.activeVendors,
    trial_vendors: s.trialVendors,
    total_subscriptions: s.totalSubscriptions,
    paying_subscriptions: s.payingSubscriptions,
    total_products: Number(s.totalProducts),
    total_orders_month: Number(s.totalOrdersMonth),
    total_team_members: s.totalTeamMembers,
    storage_used_gb: Number(s.storageUsedGb),
    db_size_mb: Number(s.dbSizeMb),
    theoretical_products_limit: num(s.theoreticalProductsLimit),
    theoretical_orders_limit: num(s.theoreticalOrdersLimit),
    theoretical_team_limit: num(s.theoreticalTeamLimit),
    tier_distribution: s.tierDistribution,
    created_at: s.createdAt,
  };
}
