import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock } from '@app/common';
import { TierService } from '@app/subscription';
import { DataSource, type EntityManager } from 'typeorm';

/** Usage against the limits of one resource, over the active vendors' subscriptions (see ACTIVE_DEFINITION). */
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
  /** Active subscriptions on a tier that caps this resource, and how many of them are at 90 % of the cap or more. */
  cappedSubscriptions: number;
  nearLimitSubscriptions: number;
}

/**
 * The one definition of "active" in every report: a vendor that is not deactivated and whose subscription is
 * live (trial, active or past_due). `activeVendors` counts them; everything "live" below is over them only.
 */
export const ACTIVE_DEFINITION = 'not deactivated, with a subscription in trial, active or past_due';

export interface CapacityMetrics {
  measuredAt: Date;
  totalVendors: number;
  /** Active vendors (ACTIVE_DEFINITION); each has one subscription, so this is also the active subscriptions. */
  activeVendors: number;
  /** Active vendors in trial. */
  trialVendors: number;
  /** Active vendors paying: status active or past_due. */
  payingVendors: number;
  /** Vendors an admin deactivated, whatever their subscription. */
  deactivatedVendors: number;
  /** Every subscription row, whatever its status. */
  totalSubscriptions: number;
  /** Subscriptions that ended: cancelled or expired. */
  endedSubscriptions: number;
  /** Totals over every subscription's counters (never a scan of products or orders). */
  totalProducts: number;
  totalOrdersThisPeriod: number;
  totalTeamMembers: number;
  /** Active vendors per tier code. */
  tierDistribution: Record<string, number>;
  products: ResourceCapacity;
  ordersMonthly: ResourceCapacity;
  teamMembers: ResourceCapacity;
  dbSizeBytes: number;
}

/** The aggregates of one tier code, over all subscriptions or over those of deactivated vendors. */
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
  near_products: string;
  near_orders: string;
  near_team: string;
}

type Aggregate = Exclude<keyof TierRow, 'tier_code'>;
type Limits = { products: number | null; orders: number | null; team: number | null };

/** A vendor at 90 % or more of a limit is "near" it. */
export const NEAR_LIMIT_SHARE = 0.9;

/**
 * The same aggregates over a set of subscriptions, grouped by tier, with the tiers' limits joined from a small
 * jsonb list (tiers come from the table and the built-in defaults, so they are passed in, not joined).
 * The scan groups by tier and status with few expressions per row, and the status filters run on those few
 * groups afterwards: per-row FILTERs on the status were most of the pass's cost at a million rows.
 * A team of one is never "near" its limit: the owner alone fills a one-seat plan, and that is the plan.
 */
function aggregateSql(from: string): string {
  const live = `g.status IN ('trial', 'active', 'past_due')`;
  return `SELECT g.tier_code,
              sum(g.n) AS total,
              coalesce(sum(g.n) FILTER (WHERE ${live}), 0) AS live,
              coalesce(sum(g.n) FILTER (WHERE g.status IN ('active', 'past_due')), 0) AS paying,
              coalesce(sum(g.n) FILTER (WHERE g.status = 'trial'), 0) AS trial,
              coalesce(sum(g.products), 0) AS products,
              coalesce(sum(g.orders), 0) AS orders,
              coalesce(sum(g.team), 0) AS team,
              coalesce(sum(g.products) FILTER (WHERE ${live}), 0) AS live_products,
              coalesce(sum(g.orders) FILTER (WHERE ${live}), 0) AS live_orders,
              coalesce(sum(g.team) FILTER (WHERE ${live}), 0) AS live_team,
              coalesce(sum(g.near_products) FILTER (WHERE ${live}), 0) AS near_products,
              coalesce(sum(g.near_orders) FILTER (WHERE ${live}), 0) AS near_orders,
              coalesce(sum(g.near_team) FILTER (WHERE ${live}), 0) AS near_team
         FROM (SELECT s.tier_code, s.status, count(*) AS n,
                      sum(s.products_count) AS products, sum(s.orders_this_period) AS orders, sum(s.team_members_count) AS team,
                      count(*) FILTER (WHERE s.products_count >= l.products * ${NEAR_LIMIT_SHARE} AND l.products > 0) AS near_products,
                      count(*) FILTER (WHERE s.orders_this_period >= l.orders * ${NEAR_LIMIT_SHARE} AND l.orders > 0) AS near_orders,
                      count(*) FILTER (WHERE s.team_members_count >= l.team * ${NEAR_LIMIT_SHARE} AND l.team > 1) AS near_team
                 FROM ${from}
                 LEFT JOIN jsonb_to_recordset($1::jsonb) AS l(code text, products bigint, orders bigint, team bigint) ON l.code = s.tier_code
                GROUP BY s.tier_code, s.status) g
        GROUP BY g.tier_code`;
}

/**
 * Platform-wide capacity from the usage counters on vendor_subscriptions: one grouped pass over the
 * subscriptions, the same aggregates over the (few) deactivated vendors' subscriptions to take them off,
 * a count of vendors, the tier list and `pg_database_size`.
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
    const known = new Map<string, Limits>();
    for (const t of await this.tiers.listAllTiers(manager)) known.set(t.code, { products: t.productsLimit, orders: t.ordersPerMonth, team: t.teamMembers });
    const limitList = JSON.stringify([...known].map(([code, l]) => ({ code, ...l })));
    // One pass over the subscriptions alone (no join with a million vendors); deactivated vendors are few and
    // found through their partial index, and their live aggregates are taken off.
    const all: TierRow[] = await manager.query(aggregateSql('vendor_subscriptions s'), [limitList]);
    const deactivated: TierRow[] = await manager.query(
      aggregateSql('vendors v JOIN vendor_subscriptions s ON s.vendor_id = v.id AND NOT v.is_active'),
      [limitList],
    );
    const [counts] = await manager.query(
      `SELECT (SELECT count(*) FROM vendors) AS vendors,
              (SELECT count(*) FROM vendors WHERE NOT is_active) AS deactivated,
              pg_database_size(current_database()) AS db_size`,
    );

    const off = new Map(deactivated.map((r) => [r.tier_code, r]));
    /** A live aggregate of one tier over active vendors only. */
    const active = (r: TierRow, field: Aggregate) => Number(r[field]) - Number(off.get(r.tier_code)?.[field] ?? 0);
    // An unknown tier code holds no limit we could count.
    const limitsOf = (code: string): Limits => known.get(code) ?? { products: null, orders: null, team: null };
    const sum = (pick: (r: TierRow) => number) => all.reduce((total, r) => total + pick(r), 0);

    const resource = (limitOf: (l: Limits) => number | null, usage: Aggregate, near: Aggregate): ResourceCapacity => {
      let theoretical = 0, capped = 0, unlimitedSubs = 0, unlimitedActual = 0, nearLimit = 0, cappedSubs = 0;
      for (const r of all) {
        const limit = limitOf(limitsOf(r.tier_code));
        const live = active(r, 'live');
        if (limit === null) {
          unlimitedSubs += live;
          unlimitedActual += active(r, usage);
        } else {
          theoretical += limit * live;
          capped += active(r, usage);
          cappedSubs += live;
          nearLimit += active(r, near);
        }
      }
      return {
        actual: capped + unlimitedActual,
        theoreticalLimit: theoretical,
        utilizationPercent: theoretical > 0 ? round((capped / theoretical) * 100, 1) : 0,
        headroom: Math.max(0, theoretical - capped),
        unlimitedSubscriptions: unlimitedSubs,
        unlimitedActual,
        cappedSubscriptions: cappedSubs,
        nearLimitSubscriptions: nearLimit,
      };
    };
    const tierDistribution: Record<string, number> = {};
    for (const r of [...all].sort((a, b) => a.tier_code.localeCompare(b.tier_code))) if (active(r, 'live') > 0) tierDistribution[r.tier_code] = active(r, 'live');
    const totalSubscriptions = sum((r) => Number(r.total));

    return {
      measuredAt,
      totalVendors: Number(counts.vendors),
      activeVendors: sum((r) => active(r, 'live')),
      trialVendors: sum((r) => active(r, 'trial')),
      payingVendors: sum((r) => active(r, 'paying')),
      deactivatedVendors: Number(counts.deactivated),
      totalSubscriptions,
      endedSubscriptions: totalSubscriptions - sum((r) => Number(r.live)),
      totalProducts: sum((r) => Number(r.products)),
      totalOrdersThisPeriod: sum((r) => Number(r.orders)),
      totalTeamMembers: sum((r) => Number(r.team)),
      tierDistribution,
      products: resource((l) => l.products, 'live_products', 'near_products'),
      ordersMonthly: resource((l) => l.orders, 'live_orders', 'near_orders'),
      teamMembers: resource((l) => l.team, 'live_team', 'near_team'),
      dbSizeBytes: Number(counts.db_size),
    };
  }
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
