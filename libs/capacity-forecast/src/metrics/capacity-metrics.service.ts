import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { TierService } from '@app/subscription';
import { DataSource, type EntityManager } from 'typeorm';

/** Usage against the limits of one resource, over the subscriptions that hold capacity (trial, active, past_due). */
export interface ResourceCapacity {
  /** Usage of every live subscription, capped tier or not. */
  actual: number;
  /** Sum of the limits of live subscriptions on tiers that cap this resource. */
  theoreticalLimit: number;
  /** Usage of the capped subscriptions against their limits (0 when nothing is capped). */
  utilizationPercent: number;
  /** Capacity left on capped subscriptions: theoreticalLimit − their usage. */
  headroom: number;
  /** Live subscriptions on a tier without this limit: they add no theoretical capacity. */
  unlimitedSubscriptions: number;
  /** Usage on those unlimited subscriptions (inside `actual`, outside the utilization). */
  unlimitedActual: number;
}

export interface CapacityMetrics {
  measuredAt: Date;
  totalVendors: number;
  /** Vendors that are active and whose subscription holds capacity. */
  activeVendors: number;
  trialVendors: number;
  /** Every subscription row, whatever its status. */
  totalSubscriptions: number;
  /** Paying: active or past_due. */
  activeSubscriptions: number;
  /** trial + active + past_due: the subscriptions whose limits make up the theoretical capacity. */
  liveSubscriptions: number;
  /** Totals over every subscription's counters (never a scan of products or orders). */
  totalProducts: number;
  totalOrdersThisPeriod: number;
  totalTeamMembers: number;
  /** Live subscriptions per tier code. */
  tierDistribution: Record<string, number>;
  products: ResourceCapacity;
  ordersMonthly: ResourceCapacity;
  teamMembers: ResourceCapacity;
  dbSizeBytes: number;
}

interface TierRow {
  tier_code: string;
  total: string;
  live: string;
  paying: string;
  trial: string;
  products: string;
  orders: string;
  team: string;
  live_products: string;
  live_orders: string;
  live_team: string;
}

const LIVE = `s.status IN ('trial', 'active', 'past_due')`;

/**
 * Platform-wide capacity from the usage counters on vendor_subscriptions: one grouped pass over the
 * subscriptions, a count of vendors, a handful of tier lookups and `pg_database_size`.
 * Unlimited tiers add nothing to the theoretical limit and their usage is reported apart, so utilization is
 * the share of capped capacity in use rather than a ratio against an invented number.
 */
@Injectable()
export class CapacityMetricsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tiers: TierService,
    private readonly clock: Clock,
  ) {}

  async measure(manager: EntityManager = this.dataSource.manager): Promise<CapacityMetrics> {
    const measuredAt = this.clock.now();
    // One pass over the subscriptions alone (no join with a million vendors): deactivated vendors are few and
    // found through their partial index, then taken off the live count.
    const rows: TierRow[] = await manager.query(
      `SELECT s.tier_code,
              count(*) AS total,
              count(*) FILTER (WHERE ${LIVE}) AS live,
              count(*) FILTER (WHERE s.status IN ('active', 'past_due')) AS paying,
              count(*) FILTER (WHERE s.status = 'trial') AS trial,
              coalesce(sum(s.products_count), 0) AS products,
              coalesce(sum(s.orders_this_period), 0) AS orders,
              coalesce(sum(s.team_members_count), 0) AS team,
              coalesce(sum(s.products_count) FILTER (WHERE ${LIVE}), 0) AS live_products,
              coalesce(sum(s.orders_this_period) FILTER (WHERE ${LIVE}), 0) AS live_orders,
              coalesce(sum(s.team_members_count) FILTER (WHERE ${LIVE}), 0) AS live_team
         FROM vendor_subscriptions s
        GROUP BY s.tier_code`,
    );
    const [counts] = await manager.query(
      `SELECT (SELECT count(*) FROM vendors) AS vendors,
              (SELECT count(*) FROM vendors v JOIN vendor_subscriptions s ON s.vendor_id = v.id WHERE NOT v.is_active AND ${LIVE}) AS inactive_live,
              pg_database_size(current_database()) AS db_size`,
    );

    const limits = new Map<string, { products: number | null; orders: number | null; team: number | null }>();
    for (const row of rows) {
      const tier = await this.tiers.findTier(row.tier_code);
      // An unknown tier code holds no limit we could count.
      limits.set(row.tier_code, { products: tier?.productsLimit ?? null, orders: tier?.ordersPerMonth ?? null, team: tier?.teamMembers ?? null });
    }
    const sum = (pick: (r: TierRow) => string) => rows.reduce((total, r) => total + Number(pick(r)), 0);
    const resource = (limitOf: (code: string) => number | null, usage: (r: TierRow) => string): ResourceCapacity => {
      let theoretical = 0, capped = 0, unlimitedSubs = 0, unlimitedActual = 0;
      for (const r of rows) {
        const limit = limitOf(r.tier_code);
        if (limit === null) {
          unlimitedSubs += Number(r.live);
          unlimitedActual += Number(usage(r));
        } else {
          theoretical += limit * Number(r.live);
          capped += Number(usage(r));
        }
      }
      return {
        actual: capped + unlimitedActual,
        theoreticalLimit: theoretical,
        utilizationPercent: theoretical > 0 ? round((capped / theoretical) * 100, 1) : 0,
        headroom: Math.max(0, theoretical - capped),
        unlimitedSubscriptions: unlimitedSubs,
        unlimitedActual,
      };
    };
    const tierDistribution: Record<string, number> = {};
    for (const r of [...rows].sort((a, b) => a.tier_code.localeCompare(b.tier_code))) if (Number(r.live) > 0) tierDistribution[r.tier_code] = Number(r.live);

    return {
      measuredAt,
      totalVendors: Number(counts.vendors),
      activeVendors: sum((r) => r.live) - Number(counts.inactive_live),
      trialVendors: sum((r) => r.trial),
      totalSubscriptions: sum((r) => r.total),
      activeSubscriptions: sum((r) => r.paying),
      liveSubscriptions: sum((r) => r.live),
      totalProducts: sum((r) => r.products),
      totalOrdersThisPeriod: sum((r) => r.orders),
      totalTeamMembers: sum((r) => r.team),
      tierDistribution,
      products: resource((c) => limits.get(c)!.products, (r) => r.live_products),
      ordersMonthly: resource((c) => limits.get(c)!.orders, (r) => r.live_orders),
      teamMembers: resource((c) => limits.get(c)!.team, (r) => r.live_team),
      dbSizeBytes: Number(counts.db_size),
    };
  }
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
